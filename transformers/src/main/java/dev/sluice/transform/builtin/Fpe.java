package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.BlockCipher;
import org.bouncycastle.crypto.CipherParameters;
import org.bouncycastle.crypto.fpe.FPEFF1Engine;
import org.bouncycastle.crypto.params.FPEParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Keyed permutations for the collision-free transformers: FF1 format-preserving encryption (NIST
 * SP 800-38G) over AES-256 under a key drawn from the column's domain key, so distinct inputs never
 * collide and every output can be decrypted with the key.
 *
 * <p>FF1 runs in {@code long} arithmetic when each half of the input fits in 62 bits (every phone,
 * card, SSN, integer and email part in practice): ten AES blocks a value, AES from the JDK
 * (AES-NI). Larger inputs go through Bouncy Castle's {@link FPEFF1Engine}, which is also the
 * reference the fast path is tested against bit for bit.
 *
 * <p>FF1 needs a domain of at least a million values. Below that (a 5-digit number, 3 letters)
 * the permutation is a keyed Fisher-Yates shuffle of the whole domain, drawn from AES-CTR under a
 * separate subkey, one table per domain size (at most {@value #TABLE_MAX} entries), tweaks told
 * apart by a keyed rotation of the input. A range that is not a power of the radix ({@code
 * [1000000, 9999999]}) is encrypted in the radix whose power covers it most tightly and reached by
 * cycle walking (encrypt again until the result falls in range), which stays a bijection of the
 * range and costs on average the ratio of the two sizes, kept close to 1.
 *
 * <p>The tweak (8 bytes of SHA-256 over a label) names the transformer and the part of the value,
 * never the column, so columns of one domain map alike. Thread-safe: each thread has its own
 * ciphers; tables are immutable once built. Instances are shared per domain key and label.
 */
final class Fpe {

    /** Domains up to this size use a shuffled table (at most 4 MB) instead of FF1. */
    static final int TABLE_MAX = 1 << 20;

    /** FF1's minimum domain size (SP 800-38G Rev. 1), which Bouncy Castle enforces. */
    private static final long FF1_MIN_DOMAIN = 1_000_000;

    private final byte[] shuffleKey;
    private final String label;
    private final KeyParameter keyParameter;
    private final ThreadLocal<Engines> engines;
    private final ConcurrentHashMap<Integer, Shape> shapes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, Plan> plans = new ConcurrentHashMap<>();

    private static final ConcurrentHashMap<String, Fpe> SHARED = new ConcurrentHashMap<>();

    /**
     * The permutations of a domain key for a label, shared by every transformer that asks, so the
     * columns of one domain share the small-domain tables too.
     */
    static Fpe of(DomainKey key, String label) {
        byte[] id = key.subkey("ff1-instance|" + label, 16);
        return SHARED.computeIfAbsent(java.util.HexFormat.of().formatHex(id), k -> new Fpe(key, label));
    }

    private Fpe(DomainKey key, String label) {
        byte[] aesKey = key.subkey("ff1", 32);
        this.shuffleKey = key.subkey("ff1-small-domain", 32);
        this.label = label;
        this.keyParameter = new KeyParameter(aesKey);
        byte[] blockKey = key.subkey("aes-block|" + label, 32);
        this.engines = ThreadLocal.withInitial(() -> new Engines(new FixedKeyAes(aesKey), blockKey));
    }

    /**
     * Encrypts a string of symbols, each below {@code radix}, of any length: FF1 when {@code
     * radix^length} reaches a million, a shuffled table below. Returns a new array.
     */
    byte[] encrypt(int radix, byte[] symbols, String tweak) {
        return crypt(true, radix, symbols, tweak);
    }

    byte[] decrypt(int radix, byte[] symbols, String tweak) {
        return crypt(false, radix, symbols, tweak);
    }

    private byte[] crypt(boolean encrypt, int radix, byte[] symbols, String tweak) {
        int n = symbols.length;
        if (n == 0) {
            return symbols.clone();
        }
        if (n >= 2 && Math.pow(radix, n) >= FF1_MIN_DOMAIN) {
            return ff1(encrypt, radix, symbols, tweak(tweak));
        }
        long size = 1;
        long value = 0;
        for (byte s : symbols) {
            size *= radix;
            value = value * radix + (s & 0xff);
        }
        RangeKey key = new RangeKey(size, radix, tweak);
        Range range = ranges.get(key);
        if (range == null) {
            range = keep(key, newRange(size, radix + "^" + n + "|" + tweak));
        }
        long out = encrypt ? range.permute(value) : range.unpermute(value);
        byte[] result = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            result[i] = (byte) (out % radix);
            out /= radix;
        }
        return result;
    }

    /**
     * Encrypts a string of bits: as a number when it fits a {@code long}, else with FF1 over the
     * largest power-of-two radix up to 256 whose symbols the bits divide into.
     */
    byte[] encryptBits(byte[] bits, String tweak) {
        return cryptBits(true, bits, tweak);
    }

    byte[] decryptBits(byte[] bits, String tweak) {
        return cryptBits(false, bits, tweak);
    }

    /**
     * The permutation {@link #encryptBits} applies to {@code k <= 62} bits under the tweak, for a
     * caller that holds the bits as a number.
     */
    Range bitsRange(int k, String tweak) {
        return range(1L << k, "bits|" + tweak);
    }

    private byte[] cryptBits(boolean encrypt, byte[] bits, String tweak) {
        int k = bits.length;
        if (k == 0) {
            return bits.clone();
        }
        if (k <= 62) {
            long v = 0;
            for (byte b : bits) {
                v = (v << 1) | b;
            }
            Range range = bitsRange(k, tweak);
            long out = encrypt ? range.permute(v) : range.unpermute(v);
            byte[] result = new byte[k];
            for (int i = k - 1; i >= 0; i--) {
                result[i] = (byte) (out & 1);
                out >>>= 1;
            }
            return result;
        }
        int j = k % 8 == 0 ? 8 : k % 4 == 0 ? 4 : k % 2 == 0 ? 2 : 1;
        byte[] symbols = new byte[k / j];
        for (int i = 0; i < symbols.length; i++) {
            int sym = 0;
            for (int b = 0; b < j; b++) {
                sym = (sym << 1) | bits[i * j + b];
            }
            symbols[i] = (byte) sym;
        }
        byte[] out = ff1(encrypt, 1 << j, symbols, tweak("bits|" + tweak));
        byte[] result = new byte[k];
        for (int i = 0; i < out.length; i++) {
            int sym = out[i] & 0xff;
            for (int b = 0; b < j; b++) {
                result[i * j + b] = (byte) ((sym >>> (j - 1 - b)) & 1);
            }
        }
        return result;
    }

    /**
     * AES-256 of one 16-byte block under a key of its own: a keyed permutation of 128-bit
     * strings, for whole UUIDs.
     */
    byte[] block(boolean encrypt, byte[] in) {
        Cipher c = encrypt ? engines.get().blockEncrypt() : engines.get().blockDecrypt();
        try {
            return c.doFinal(in);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The permutation of {@code [0, size)} under a tweak, made once per size and tweak (up to a
     * bound) and kept.
     */
    Range range(long size, String tweak) {
        RangeKey key = new RangeKey(size, 0, tweak);
        Range range = ranges.get(key);
        return range != null ? range : keep(key, newRange(size, tweak));
    }

    private Range newRange(long size, String tweak) {
        if (size < 1) {
            throw new IllegalArgumentException("empty range");
        }
        return new Range(plan(size), tweak(tweak + "|" + size));
    }

    /**
     * A range by its size and tweak, and for the ranges {@link #encrypt} makes of short strings the
     * radix (0 for those of {@link #range}).
     */
    private record RangeKey(long size, int radix, String tweak) {}

    /**
     * Ranges already made. Values bring few distinct tweaks (an email's domain, the kept prefix of
     * an address), and making a range again for every value cost more than permuting the value: two
     * strings built and hashed and, for a small domain, an AES block. Bounded because values choose
     * the tweaks; ranges are immutable, so threads share them.
     */
    private final ConcurrentHashMap<RangeKey, Range> ranges = new ConcurrentHashMap<>();

    /** How many ranges are kept: bounded by {@link #TWEAKS_MAX} however many tweaks values bring. */
    int rangesKept() {
        return ranges.size();
    }

    private Range keep(RangeKey key, Range range) {
        if (ranges.size() < TWEAKS_MAX) {
            ranges.putIfAbsent(key, range);
        }
        return range;
    }

    /**
     * How a range of one size is permuted, shared by every tweak: a shuffled table for small
     * ranges, else the radix and length FF1 encrypts in. The number of plans is bounded by the
     * sizes in use, never by the values.
     */
    private static final class Plan {
        final long size;
        final int[] forward;
        private volatile int[] inverse;
        final int radix;
        final int length;

        Plan(long size, int[] forward, int radix, int length) {
            this.size = size;
            this.forward = forward;
            this.radix = radix;
            this.length = length;
        }

        int[] inverse() {
            int[] inv = inverse;
            if (inv == null) {
                inv = new int[forward.length];
                for (int i = 0; i < forward.length; i++) {
                    inv[forward[i]] = i;
                }
                inverse = inv;
            }
            return inv;
        }
    }

    /** How many range sizes have a plan (tables included): bounded by sizes, not values. */
    int plans() {
        return plans.size();
    }

    private Plan plan(long size) {
        Plan plan = plans.get(size);
        if (plan != null) {
            return plan;
        }
        return plans.computeIfAbsent(size, k -> {
            if (size <= TABLE_MAX) {
                return new Plan(size, shuffle((int) size), 0, 0);
            }
            int[] best = tightest(size);
            return new Plan(size, null, best[0], best[1]);
        });
    }

    /**
     * A keyed bijection of {@code [0, size)}. Small ranges share one shuffled table per size and
     * tell tweaks apart by a keyed rotation of the input, {@code table[(x + offset) mod size]}, the
     * offset being AES of the tweak: the tables stay bounded however many tweaks the values bring
     * (an email domain, a kept prefix).
     */
    final class Range {
        private final Plan plan;
        private final byte[] tweak;
        private final long offset;

        private Range(Plan plan, byte[] tweak) {
            this.plan = plan;
            this.tweak = tweak;
            if (plan.forward != null) {
                byte[] block = new byte[16];
                System.arraycopy(tweak, 0, block, 0, TWEAK_BYTES);
                block[15] = 1;
                engines.get().aes().processBlock(block, 0, block, 0);
                this.offset = Math.floorMod(KeyedRandom.longAt(block, 0), plan.size);
            } else {
                this.offset = 0;
            }
        }

        long permute(long x) {
            return walk(true, x);
        }

        long unpermute(long y) {
            return walk(false, y);
        }

        /**
         * A bijection of the members of the range that satisfy {@code member}, by cycle walking
         * the permutation until a member comes out ({@code x} must be a member). Cheap when
         * members are most of the range.
         */
        long permuteWithin(long x, LongPredicate member) {
            long y = permute(x);
            while (!member.test(y)) {
                y = permute(y);
            }
            return y;
        }

        long unpermuteWithin(long y, LongPredicate member) {
            long x = unpermute(y);
            while (!member.test(x)) {
                x = unpermute(x);
            }
            return x;
        }

        private long walk(boolean encrypt, long x) {
            long size = plan.size;
            if (x < 0 || x >= size) {
                throw new IllegalArgumentException("outside the permuted range");
            }
            if (plan.forward != null) {
                return encrypt
                        ? plan.forward[(int) ((x + offset) % size)]
                        : Math.floorMod(plan.inverse()[(int) x] - offset, size);
            }
            int radix = plan.radix;
            int length = plan.length;
            byte[] symbols = new byte[length];
            long v = x;
            for (int i = length - 1; i >= 0; i--) {
                symbols[i] = (byte) (v % radix);
                v /= radix;
            }
            while (true) {
                symbols = ff1(encrypt, radix, symbols, tweak);
                long value = 0;
                boolean inRange = true;
                for (int i = 0; i < length && inRange; i++) {
                    // value * radix + digit < size, without overflow
                    int d = symbols[i] & 0xff;
                    inRange = value <= (size - 1 - d) / radix;
                    value = value * radix + d;
                }
                if (inRange) {
                    return value;
                }
            }
        }
    }

    /**
     * The radix (2 to 256) and length whose domain covers {@code size}, and FF1's minimum, with the
     * least excess, so cycle walking rarely repeats: {@code [0, 9000000)} goes to 4 symbols of
     * radix 55 (9150625 values).
     */
    static int[] tightest(long size) {
        BigInteger target = BigInteger.valueOf(Math.max(size, FF1_MIN_DOMAIN));
        int bestRadix = 2;
        int bestLength = 0;
        double bestRatio = Double.MAX_VALUE;
        // From the largest radix down: on a tie, fewer symbols encrypt faster.
        for (int r = 256; r >= 2; r--) {
            BigInteger radix = BigInteger.valueOf(r);
            BigInteger power = radix.pow(2);
            int n = 2;
            while (power.compareTo(target) < 0) {
                power = power.multiply(radix);
                n++;
            }
            double ratio = power.doubleValue() / size;
            if (ratio < bestRatio - 1e-9) {
                bestRatio = ratio;
                bestRadix = r;
                bestLength = n;
            }
        }
        return new int[] {bestRadix, bestLength};
    }

    /** One thread's AES under the FF1 key, Bouncy Castle's FF1 engine over it, and block AES. */
    private record Engines(FixedKeyAes aes, FPEFF1Engine ff1, Cipher blockEncrypt, Cipher blockDecrypt) {
        Engines(FixedKeyAes aes, byte[] blockKey) {
            this(aes, new FPEFF1Engine(aes), ecb(Cipher.ENCRYPT_MODE, blockKey), ecb(Cipher.DECRYPT_MODE, blockKey));
        }

        private static Cipher ecb(int mode, byte[] key) {
            try {
                Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
                c.init(mode, new SecretKeySpec(key, "AES"));
                return c;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES is missing from this JDK", e);
            }
        }
    }

    private byte[] ff1(boolean encrypt, int radix, byte[] symbols, byte[] tweak) {
        Shape shape = tweak.length == TWEAK_BYTES ? shape(radix, symbols.length) : null;
        return shape != null ? fastFf1(encrypt, shape, symbols, tweak) : referenceFf1(encrypt, radix, symbols, tweak);
    }

    /** Bouncy Castle's FF1, which the fast path must match bit for bit (tested). */
    byte[] referenceFf1(boolean encrypt, int radix, byte[] symbols, byte[] tweak) {
        FPEFF1Engine engine = engines.get().ff1();
        engine.init(encrypt, new FPEParameters(keyParameter, radix, tweak));
        byte[] out = new byte[symbols.length];
        engine.processBlock(symbols, 0, symbols.length, out, 0);
        return out;
    }

    private static final int TWEAK_BYTES = 8;

    /** {@code 256 y mod m} for {@code y < m <= 2^62}, without overflow. */
    private static long times256(long y, long m) {
        if (m <= 1L << 55) {
            return (y << 8) % m;
        }
        for (int i = 0; i < 8; i++) {
            y <<= 1;
            if (y >= m) {
                y -= m;
            }
        }
        return y;
    }

    /**
     * The first {@code d} bytes of the block as a big-endian number, modulo {@code m}. As many
     * bytes per division as keep {@code y * 256^k + next} below 2^63 (k = 4 for m up to 2^31, say):
     * the divisions were most of FF1's arithmetic, one per byte in each of the ten rounds.
     */
    private static long mod(byte[] block, int d, long m) {
        int k = (Long.numberOfLeadingZeros(m) - 1) / 8;
        long y = 0;
        if (k == 0) {
            for (int j = 0; j < d; j++) {
                y = times256(y, m) + (block[j] & 0xff);
                if (y >= m) {
                    y %= m;
                }
            }
            return y;
        }
        for (int j = 0; j < d; j += k) {
            int end = Math.min(j + k, d);
            long next = 0;
            for (int t = j; t < end; t++) {
                next = (next << 8) | (block[t] & 0xff);
            }
            y = ((y << (8 * (end - j))) | next) % m;
        }
        return y;
    }

    /** Halves up to this many values fit the fast path's {@code long} arithmetic. */
    private static final long FAST_MAX_HALF = 1L << 62;

    /**
     * The constants of FF1 for one radix and length (NIST SP 800-38G, Algorithm 7) with an 8-byte
     * tweak, when each half's numeral fits in 62 bits: then Q is one block (two from 57 bits on), S
     * is one block, and the first CBC-MAC block, AES(P), is the same for every value.
     */
    private record Shape(int radix, int u, int v, long modU, long modV, int b, int d, byte[] encryptedP) {}

    private Shape shape(int radix, int n) {
        Integer id = (radix << 16) | n;
        Shape shape = shapes.get(id);
        if (shape == null) {
            shape = newShape(radix, n);
            shapes.put(id, shape == null ? NO_SHAPE : shape);
        }
        return shape == NO_SHAPE ? null : shape;
    }

    private static final Shape NO_SHAPE = new Shape(0, 0, 0, 0, 0, 0, 0, new byte[0]);

    private Shape newShape(int radix, int n) {
        int u = n / 2;
        int v = n - u;
        long modU = 1;
        long modV = 1;
        for (int i = 0; i < v; i++) {
            if (modV > FAST_MAX_HALF / radix) {
                return null;
            }
            modV *= radix;
            if (i < u) {
                modU *= radix;
            }
        }
        int b = (64 - Long.numberOfLeadingZeros(modV - 1) + 7) / 8;
        int d = 4 * ((b + 3) / 4) + 4;
        byte[] p = new byte[16];
        p[0] = 1;
        p[1] = 2;
        p[2] = 1;
        p[4] = (byte) (radix >>> 8);
        p[5] = (byte) radix;
        p[6] = 10;
        p[7] = (byte) u;
        p[8] = (byte) (n >>> 24);
        p[9] = (byte) (n >>> 16);
        p[10] = (byte) (n >>> 8);
        p[11] = (byte) n;
        p[15] = TWEAK_BYTES;
        engines.get().aes().processBlock(p, 0, p, 0);
        return new Shape(radix, u, v, modU, modV, b, d, p);
    }

    /**
     * FF1 (Algorithms 7 and 8) in {@code long} arithmetic: ten rounds of one AES block each.
     * Bouncy Castle's engine does the same in {@code BigInteger} for any size, several times
     * slower; both give the same output, which a test checks across radixes and lengths.
     */
    private byte[] fastFf1(boolean encrypt, Shape s, byte[] symbols, byte[] tweak) {
        int r = s.radix();
        for (byte sym : symbols) {
            if ((sym & 0xff) >= r) {
                throw new IllegalArgumentException("input data outside of radix");
            }
        }
        int n = symbols.length;
        long a = 0;
        long b = 0;
        for (int i = 0; i < s.u(); i++) {
            a = a * r + (symbols[i] & 0xff);
        }
        for (int i = s.u(); i < n; i++) {
            b = b * r + (symbols[i] & 0xff);
        }
        FixedKeyAes aes = engines.get().aes();
        int qLength = s.b() <= 7 ? 16 : 32;
        byte[] q = new byte[qLength];
        byte[] block = new byte[16];
        for (int k = 0; k < 10; k++) {
            int i = encrypt ? k : 9 - k;
            long numeral = encrypt ? b : a;
            // Q = T || 0...0 || [i]1 || [NUM(B)]b, then R = CBC-MAC(P || Q) from AES(P).
            java.util.Arrays.fill(q, (byte) 0);
            System.arraycopy(tweak, 0, q, 0, TWEAK_BYTES);
            q[qLength - 1 - s.b()] = (byte) i;
            for (int j = 0; j < s.b(); j++) {
                q[qLength - 1 - j] = (byte) (numeral >>> (8 * j));
            }
            System.arraycopy(s.encryptedP(), 0, block, 0, 16);
            for (int off = 0; off < qLength; off += 16) {
                for (int j = 0; j < 16; j++) {
                    block[j] ^= q[off + j];
                }
                aes.processBlock(block, 0, block, 0);
            }
            long m = (i & 1) == 0 ? s.modU() : s.modV();
            long y = mod(block, s.d(), m);
            if (encrypt) {
                long c = (a + y) % m;
                a = b;
                b = c;
            } else {
                long c = Math.floorMod(b - y, m);
                b = a;
                a = c;
            }
        }
        byte[] out = new byte[n];
        for (int i = s.u() - 1; i >= 0; i--) {
            out[i] = (byte) (a % r);
            a /= r;
        }
        for (int i = n - 1; i >= s.u(); i--) {
            out[i] = (byte) (b % r);
            b /= r;
        }
        return out;
    }

    /**
     * FF1's tweak: the first 8 bytes of SHA-256 over the label and the tweak text. FF1 feeds the
     * tweak to AES in every one of its 10 rounds, so a short fixed-size tweak keeps each round at
     * two AES blocks.
     */
    private byte[] tweak(String tweak) {
        byte[] t = tweaks.get(tweak);
        if (t == null) {
            MessageDigest sha = DIGESTS.get();
            sha.reset();
            byte[] h = sha.digest((label + '|' + tweak).getBytes(StandardCharsets.UTF_8));
            t = java.util.Arrays.copyOf(h, 8);
            if (tweaks.size() < TWEAKS_MAX) {
                tweaks.putIfAbsent(tweak, t);
            }
        }
        return t;
    }

    /**
     * Tweaks already hashed, by text. A column's values bring few distinct tweaks (the kept prefix
     * of an address, an email's domain) and hashing one cost as much as a third of an IP's FF1.
     * Bounded because values choose them; the arrays are shared, so nothing may write to them.
     */
    private final ConcurrentHashMap<String, byte[]> tweaks = new ConcurrentHashMap<>();

    static final int TWEAKS_MAX = 4096;

    private static final ThreadLocal<MessageDigest> DIGESTS = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    });

    private int[] shuffle(int size) {
        byte[] tweak = tweak("shuffle|" + size);
        int[] p = new int[size];
        for (int i = 0; i < size; i++) {
            p[i] = i;
        }
        try {
            byte[] iv = MessageDigest.getInstance("SHA-256").digest(tweak);
            Cipher ctr = Cipher.getInstance("AES/CTR/NoPadding");
            ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(shuffleKey, "AES"), new IvParameterSpec(iv, 0, 16));
            byte[] stream = ctr.update(new byte[8 * Math.max(size - 1, 1)]);
            for (int i = size - 1; i > 0; i--) {
                long r = KeyedRandom.longAt(stream, 8 * (size - 1 - i)) >>> 1;
                int j = (int) (r % (i + 1));
                int t = p[i];
                p[i] = p[j];
                p[j] = t;
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES/CTR is missing from this JDK", e);
        }
        return p;
    }

    /**
     * AES under the FF1 key, expanded once per thread: FF1 re-initializes its cipher for every
     * value (the tweak changes), and repeating the key schedule and Bouncy Castle's constraint
     * checks each time would cost more than the encryption. FF1 only ever encrypts with AES.
     */
    private static final class FixedKeyAes implements BlockCipher {
        private final Cipher aes;

        FixedKeyAes(byte[] key) {
            try {
                aes = Cipher.getInstance("AES/ECB/NoPadding");
                aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES is missing from this JDK", e);
            }
        }

        @Override
        public void init(boolean forEncryption, CipherParameters params) {
            if (!forEncryption) {
                throw new IllegalStateException("FF1 never decrypts with AES");
            }
        }

        @Override
        public String getAlgorithmName() {
            return "AES";
        }

        @Override
        public int getBlockSize() {
            return 16;
        }

        @Override
        public int processBlock(byte[] in, int inOff, byte[] out, int outOff) {
            try {
                return aes.update(in, inOff, 16, out, outOff);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void reset() {}
    }
}
