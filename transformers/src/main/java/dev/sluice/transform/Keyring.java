package dev.sluice.transform;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The master key and the per-domain keys derived from it. The master key comes from the
 * environment ({@code SLUICE_KEY}, hex) or a file ({@code SLUICE_KEY_FILE}), never from the rules
 * file, which is shared and committed. Its id, a fingerprint that reveals nothing of the key, is
 * what a target records, so that data written under one key is never mixed with another's.
 */
public final class Keyring {

    public static final String KEY_ENV = "SLUICE_KEY";
    public static final String KEY_FILE_ENV = "SLUICE_KEY_FILE";

    /** 128 bits: below that a key could be searched. */
    private static final int MIN_KEY_BYTES = 16;

    private final byte[] master;
    private final String id;

    private Keyring(byte[] master) {
        this.master = master.clone();
        this.id = HexFormat.of().formatHex(hmac(this.master, "sluice key id"), 0, 8);
    }

    /** A keyring over the given master key (tests, and keys read elsewhere). */
    public static Keyring of(byte[] master) {
        if (master.length < MIN_KEY_BYTES) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "The anonymization key is " + master.length + " bytes; it must be at least " + MIN_KEY_BYTES
                            + " (32 recommended: `openssl rand -hex 32`).");
        }
        return new Keyring(master);
    }

    /**
     * Reads the master key from {@code SLUICE_KEY} or the file {@code SLUICE_KEY_FILE} names; fails
     * with a message that says how to provide one.
     */
    public static Keyring fromEnvironment(Map<String, String> env) {
        String hex = env.get(KEY_ENV);
        String file = env.get(KEY_FILE_ENV);
        if (hex != null && !hex.isBlank() && file != null && !file.isBlank()) {
            throw new SluiceException(
                    Reason.CONFIG, "Both " + KEY_ENV + " and " + KEY_FILE_ENV + " are set; set only one.");
        }
        if (file != null && !file.isBlank()) {
            try {
                hex = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                throw new SluiceException(
                        Reason.CONFIG, KEY_FILE_ENV + ": cannot read " + file + ": " + e.getMessage(), e);
            }
            return of(parseHex(hex.strip(), KEY_FILE_ENV + " (" + file + ")"));
        }
        if (hex == null || hex.isBlank()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Deterministic transformers need a key, and none is set. Generate one with `openssl rand -hex"
                            + " 32`, keep it secret, and pass it as " + KEY_ENV + " (hex) or in a file named by "
                            + KEY_FILE_ENV + ". Keep the same key to keep the same output; a new key changes every"
                            + " transformed value.");
        }
        return of(parseHex(hex.strip(), KEY_ENV));
    }

    private static byte[] parseHex(String hex, String origin) {
        try {
            return HexFormat.of().parseHex(hex);
        } catch (IllegalArgumentException e) {
            // The message must not echo the key.
            throw new SluiceException(
                    Reason.CONFIG,
                    origin + " is not a hex string (" + hex.length() + " characters; expected an even number of"
                            + " 0-9 and a-f, e.g. from `openssl rand -hex 32`)");
        }
    }

    /** A fingerprint of the master key, safe to log and to store. */
    public String id() {
        return id;
    }

    /** The key of a domain. */
    public DomainKey domain(String name) {
        return new DomainKey(name, hmac(master, "sluice domain v1:" + name));
    }

    private static byte[] hmac(byte[] key, String label) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(label.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is missing from this JDK", e);
        }
    }

    @Override
    public String toString() {
        return "Keyring[" + id + "]";
    }
}
