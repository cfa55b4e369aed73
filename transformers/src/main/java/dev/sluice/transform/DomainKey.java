package dev.sluice.transform;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;

/**
 * The keyed pseudo-random function of one domain: HMAC-SHA256 under a key derived from the master
 * key for that domain. Columns of the same domain (say {@code users.id} and {@code orders.user_id})
 * get the same outputs for the same inputs; nobody without the master key can rebuild the mapping
 * by hashing candidate values.
 *
 * <p>Thread-safe: {@link HmacSha256} only clones its prepared states.
 */
public final class DomainKey {

    private final String domain;
    private final HmacSha256 hmac;

    DomainKey(String domain, byte[] key) {
        this.domain = domain;
        this.hmac = new HmacSha256(key);
    }

    public String domain() {
        return domain;
    }

    /** HMAC-SHA256 of the input, 32 bytes. */
    public byte[] mac(byte[] input) {
        MessageDigest d = hmac.start();
        d.update(input);
        return hmac.finish(d);
    }

    /** HMAC-SHA256 of a purpose label and a value, kept apart so that no two pairs share an input. */
    public byte[] mac(String purpose, String value) {
        byte[] p = purpose.getBytes(StandardCharsets.UTF_8);
        MessageDigest d = hmac.start();
        d.update((byte) (p.length >>> 8));
        d.update((byte) p.length);
        d.update(p);
        d.update(value.getBytes(StandardCharsets.UTF_8));
        return hmac.finish(d);
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

    @Override
    public String toString() {
        // Never the key.
        return "DomainKey[" + domain + "]";
    }
}
