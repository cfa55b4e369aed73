package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.macs.CMac;
import org.bouncycastle.crypto.modes.SICBlockCipher;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * pgstream's {@code encrypted_aes_siv}: deterministic authenticated encryption, AES-SIV (RFC 5297)
 * with AES-256 (a 64-byte key), the value's bytes as plaintext and {@code associated_data} as the
 * one associated-data component, written as unpadded base64url of the synthetic IV followed by the
 * ciphertext. Reversible by whoever holds the key: pseudonymization, not anonymization.
 *
 * <p>Without {@code key_hex} the key is derived from {@code SLUICE_KEY} for the column's domain,
 * which is what Sluice recommends: a key in the rules file is a secret in a file that is shared and
 * committed. A pgstream file that names {@code key_hex} still loads and produces pgstream's tokens,
 * with a warning at start-up, since pgstream users rely on that key to decrypt. {@code bytea} values
 * are encrypted as their bytes and the token stored as its ASCII bytes, as pgstream does.
 */
final class AesSiv implements Transformer {

    private static final Logger log = LoggerFactory.getLogger(AesSiv.class);

    private static final byte[] ZERO = new byte[16];

    private final byte[] macKey;
    private final byte[] ctrKey;
    private final byte[] associatedData;
    private final boolean bytea;

    /** {@code key}: 32, 48 or 64 bytes, the CMAC key then the CTR key (RFC 5297). */
    AesSiv(byte[] key, byte[] associatedData, boolean bytea) {
        if (key.length != 32 && key.length != 48 && key.length != 64) {
            throw new IllegalArgumentException("AES-SIV needs a 32, 48 or 64-byte key");
        }
        this.macKey = Arrays.copyOfRange(key, 0, key.length / 2);
        this.ctrKey = Arrays.copyOfRange(key, key.length / 2, key.length);
        this.associatedData = associatedData.clone();
        this.bytea = bytea;
    }

    static TransformerFactory factory() {
        return Factory.whole("encrypted_aes_siv", AesSiv::create);
    }

    static Transformer create(TransformerContext c) {
        ColumnTypes.require(c, "encrypted_aes_siv", ColumnTypes.Kind.TEXT, ColumnTypes.Kind.BYTEA);
        Parameters p = c.parameters();
        Optional<String> keyHex = p.string("key_hex");
        byte[] ad = p.string("associated_data", "").getBytes(StandardCharsets.UTF_8);
        p.requireAllUsed();
        byte[] key;
        if (keyHex.isPresent()) {
            key = parseKey(p, keyHex.get());
            log.warn(
                    "{}: encrypted_aes_siv takes its key from key_hex in the rules file: whoever reads the file can"
                            + " decrypt the column. Leave key_hex out to derive the key from SLUICE_KEY instead.",
                    p.where());
        } else {
            key = new byte[64];
            System.arraycopy(c.key().subkey("aes-siv-mac", 32), 0, key, 0, 32);
            System.arraycopy(c.key().subkey("aes-siv-ctr", 32), 0, key, 32, 32);
        }
        return new AesSiv(key, ad, ColumnTypes.kind(c.type()) == ColumnTypes.Kind.BYTEA);
    }

    private static byte[] parseKey(Parameters p, String hex) {
        byte[] key;
        try {
            key = HexFormat.of().parseHex(hex.strip());
        } catch (IllegalArgumentException e) {
            // Never echo the key.
            throw p.invalid("key_hex", "a value of " + hex.length() + " characters", "hex digits");
        }
        if (key.length != 32 && key.length != 48 && key.length != 64) {
            throw p.invalid(
                    "key_hex", "a key of " + key.length + " bytes", "32, 48 or 64 bytes in hex (64 for AES-256)");
        }
        return key;
    }

    @Override
    public Uniqueness uniqueness() {
        return Uniqueness.GUARANTEED;
    }

    @Override
    public String apply(String value) {
        byte[] plain = bytea ? byteaBytes(value) : value.getBytes(StandardCharsets.UTF_8);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(encrypt(plain));
        return bytea ? "\\x" + HexFormat.of().formatHex(token.getBytes(StandardCharsets.US_ASCII)) : token;
    }

    private static byte[] byteaBytes(String value) {
        if (!value.startsWith("\\x")) {
            throw new TransformException("not a bytea value in hex form (\\x...)");
        }
        try {
            return HexFormat.of().parseHex(value, 2, value.length());
        } catch (IllegalArgumentException e) {
            throw new TransformException("not a bytea value in hex form (\\x...)");
        }
    }

    byte[] encrypt(byte[] plain) {
        byte[] v = s2v(plain);
        byte[] out = new byte[16 + plain.length];
        System.arraycopy(v, 0, out, 0, 16);
        ctr(v, plain, out, 16);
        return out;
    }

    /** The plaintext, or null when the token does not authenticate. */
    byte[] decrypt(byte[] token) {
        if (token.length < 16) {
            return null;
        }
        byte[] v = Arrays.copyOf(token, 16);
        byte[] plain = new byte[token.length - 16];
        ctr(v, Arrays.copyOfRange(token, 16, token.length), plain, 0);
        return java.security.MessageDigest.isEqual(v, s2v(plain)) ? plain : null;
    }

    private void ctr(byte[] v, byte[] in, byte[] out, int off) {
        byte[] iv = v.clone();
        iv[8] &= 0x7f;
        iv[12] &= 0x7f;
        SICBlockCipher ctr = (SICBlockCipher) SICBlockCipher.newInstance(AESEngine.newInstance());
        ctr.init(true, new ParametersWithIV(new KeyParameter(ctrKey), iv));
        ctr.processBytes(in, 0, in.length, out, off);
    }

    private byte[] s2v(byte[] plain) {
        byte[] d = cmac(ZERO);
        d = xor(dbl(d), cmac(associatedData));
        byte[] t;
        if (plain.length >= 16) {
            t = plain.clone();
            for (int i = 0; i < 16; i++) {
                t[plain.length - 16 + i] ^= d[i];
            }
        } else {
            byte[] padded = new byte[16];
            System.arraycopy(plain, 0, padded, 0, plain.length);
            padded[plain.length] = (byte) 0x80;
            t = xor(dbl(d), padded);
        }
        return cmac(t);
    }

    private byte[] cmac(byte[] data) {
        CMac mac = new CMac(AESEngine.newInstance());
        mac.init(new KeyParameter(macKey));
        mac.update(data, 0, data.length);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] dbl(byte[] b) {
        byte[] out = new byte[16];
        int carry = 0;
        for (int i = 15; i >= 0; i--) {
            int x = b[i] & 0xff;
            out[i] = (byte) ((x << 1) | carry);
            carry = x >>> 7;
        }
        if ((b[0] & 0x80) != 0) {
            out[15] ^= (byte) 0x87;
        }
        return out;
    }

    private static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[16];
        for (int i = 0; i < 16; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }
}
