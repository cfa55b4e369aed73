package dev.sluice.transform;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keyed pseudo-random function of one domain: HMAC-SHA256 under a key derived from the master
 * key for that domain. Columns of the same domain (say {@code users.id} and {@code orders.user_id})
 * get the same outputs for the same inputs; nobody without the master key can rebuild the mapping
 * by hashing candidate values.
 *
 * <p>Thread-safe: each call uses its own {@link Mac}.
 */
public final class DomainKey {

    private static final String HMAC = "HmacSHA256";

    private final String domain;
    private final SecretKeySpec key;

    DomainKey(String domain, byte[] key) {
        this.domain = domain;
        this.key = new SecretKeySpec(key.clone(), HMAC);
    }

    public String domain() {
        return domain;
    }

    /** HMAC-SHA256 of the input, 32 bytes. */
    public byte[] mac(byte[] input) {
        Mac mac = newMac();
        return mac.doFinal(input);
    }

    /** HMAC-SHA256 of a purpose label and a value, kept apart so that no two pairs share an input. */
    public byte[] mac(String purpose, String value) {
        Mac mac = newMac();
        byte[] p = purpose.getBytes(StandardCharsets.UTF_8);
        mac.update((byte) (p.length >>> 8));
        mac.update((byte) p.length);
        mac.update(p);
        return mac.doFinal(value.getBytes(StandardCharsets.UTF_8));
    }

    /** A 64-bit number drawn from the value, for a transformer's {@code purpose}. */
    public long seed(String purpose, String value) {
        byte[] h = mac(purpose, value);
        long seed = 0;
        for (int i = 0; i < 8; i++) {
            seed = (seed << 8) | (h[i] & 0xff);
        }
        return seed;
    }

    /**
     * A random generator seeded from the value, for libraries that draw fake data from a {@link
     * Random} (Datafaker): the same value always replays the same draws.
     */
    public Random random(String purpose, String value) {
        return new Random(seed(purpose, value));
    }

    /** Key material for a keyed algorithm (an AES key for format-preserving encryption, say). */
    public byte[] subkey(String purpose, int bytes) {
        if (bytes > 32) {
            throw new IllegalArgumentException("at most 32 bytes of key material per purpose, asked " + bytes);
        }
        byte[] full = mac("subkey", purpose);
        byte[] out = new byte[bytes];
        System.arraycopy(full, 0, out, 0, bytes);
        return out;
    }

    private Mac newMac() {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(key);
            return mac;
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("HMAC key rejected", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        // Never the key.
        return "DomainKey[" + domain + "]";
    }
}
