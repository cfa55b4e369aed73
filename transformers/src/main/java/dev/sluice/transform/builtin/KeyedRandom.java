package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import java.util.Random;

/**
 * The draws a transformer makes for one value: xoshiro256** seeded with the full 256-bit
 * HMAC-SHA256 of the value under the column's domain key. Distinct values get unrelated streams,
 * and unlike {@link Random}'s own 48-bit state, two values share a stream only if their MACs
 * collide. A subclass of {@link Random} so that Datafaker-style code can draw from it.
 *
 * <p>One instance per call; not thread-safe.
 */
final class KeyedRandom extends Random {

    private static final long serialVersionUID = 1L;

    private long s0;
    private long s1;
    private long s2;
    private long s3;

    KeyedRandom(byte[] seed) {
        super(0);
        s0 = longAt(seed, 0);
        s1 = longAt(seed, 8);
        s2 = longAt(seed, 16);
        s3 = longAt(seed, 24);
        if ((s0 | s1 | s2 | s3) == 0) {
            s0 = 0x9E3779B97F4A7C15L;
        }
    }

    static KeyedRandom of(DomainKey key, String purpose, String value) {
        return new KeyedRandom(key.mac(purpose, value));
    }

    static long longAt(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    @Override
    public void setSeed(long seed) {
        // Random's constructor calls this; the state comes from the MAC alone. Not synchronized
        // as Random's is: there is nothing to guard, and a lock per value costs.
    }

    @Override
    protected int next(int bits) {
        return (int) (nextLong() >>> (64 - bits));
    }

    @Override
    public long nextLong() {
        long result = Long.rotateLeft(s1 * 5, 7) * 9;
        long t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = Long.rotateLeft(s3, 45);
        return result;
    }

    /** A uniform draw in {@code [0, bound)}; {@code bound} > 0. */
    long below(long bound) {
        // Rejects the draws from the largest multiple of bound up to Long.MAX_VALUE, whose
        // remainders would favour small results: r minus its remainder is that multiple exactly
        // when it lies above Long.MAX_VALUE - bound. One division per draw, not two.
        long r;
        long rem;
        do {
            r = nextLong() >>> 1;
            rem = r % bound;
        } while (r - rem > Long.MAX_VALUE - bound);
        return rem;
    }

    /** A uniform draw in {@code [min, max]}, the whole {@code long} range allowed. */
    long between(long min, long max) {
        long span = max - min + 1;
        if (span <= 0 && max > min) {
            // More than Long.MAX_VALUE values: draw until one falls in range.
            while (true) {
                long r = nextLong();
                if (r >= min && r <= max) {
                    return r;
                }
            }
        }
        return min + below(span);
    }

    /** One of the items. */
    <T> T pick(java.util.List<T> items) {
        return items.get((int) below(items.size()));
    }
}
