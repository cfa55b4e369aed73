package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.fpe.FPEFF1Engine;
import org.bouncycastle.crypto.params.FPEParameters;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Keyed permutations for the collision-free transformers: FF1 format-preserving encryption (NIST
 * SP 800-38G, Bouncy Castle's {@link FPEFF1Engine} over AES-256) under a key drawn from the
 * column's domain key, so distinct inputs never collide and every input can be decrypted with
 * the key.
 *
 * <p>FF1 needs a domain of at least a million values. Below that (a 5-digit number, 3 letters)
 * the permutation is a keyed Fisher-Yates shuffle of the whole domain, drawn from AES-CTR under a
 * separate subkey and built once per domain size, at most {@value #TABLE_MAX} entries. Ranges that
 * are not a power of the radix are reached by cycle walking: encrypt again until the result falls
 * in range, which stays a bijection on the range.
 *
 * <p>The tweak names the transformer and the part of the value, never the column, so columns of
 * one domain map alike. Thread-safe: engines are made per call, shuffles are immutable once built.
 */
final class Fpe {

    /** Domains up to this size use a shuffled table instead of FF1. */
    static final int TABLE_MAX = 1 << 17;

    /** FF1's minimum domain size (SP 800-38G Rev. 1). */
    private static final double FF1_MIN_DOMAIN = 1_000_000;

    private static final int MIN_BITS = 20;

    private final byte[] aesKey;
    private final byte[] shuffleKey;
    private final String label;
    private final ConcurrentHashMap<String, Table> tables = new ConcurrentHashMap<>();

    Fpe(DomainKey key, String label) {
        this.aesKey = key.subkey("ff1", 32);
        this.shuffleKey = key.subkey("ff1-small-domain", 32);
        this.label = label;
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
            return ff1(encrypt, radix, symbols, tweak);
        }
        long size = 1;
        long value = 0;
        for (byte s : symbols) {
            size *= radix;
            value = value * radix + (s & 0xff);
        }
        long out = encrypt ? permute(size, value, tweak) : unpermute(size, value, tweak);
        byte[] result = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            result[i] = (byte) (out % radix);
            out /= radix;
        }
        return result;
    }

    /** A bijection of {@code [0, size)}; {@code size} &ge; 1. */
    long permute(long size, long x, String tweak) {
        return walk(true, size, x, tweak);
    }

    long unpermute(long size, long y, String tweak) {
        return walk(false, size, y, tweak);
    }

    /**
     * A bijection of the members of {@code [0, size)} that satisfy {@code member}, by cycle walking
     * the permutation of the whole range until a member comes out ({@code x} must be a member).
     * Cheap when members are most of the range.
     */
    long permuteWithin(long size, long x, LongPredicate member, String tweak) {
        long y = permute(size, x, tweak);
        while (!member.test(y)) {
            y = permute(size, y, tweak);
        }
        return y;
    }

    long unpermuteWithin(long size, long y, LongPredicate member, String tweak) {
        long x = unpermute(size, y, tweak);
        while (!member.test(x)) {
            x = unpermute(size, x, tweak);
        }
        return x;
    }

    private long walk(boolean encrypt, long size, long x, String tweak) {
        if (x < 0 || x >= size) {
            throw new IllegalArgumentException("outside the permuted range");
        }
        if (size <= TABLE_MAX) {
            Table t = table((int) size, tweak);
            return encrypt ? t.forward[(int) x] : t.inverse()[(int) x];
        }
        int bits = Math.max(MIN_BITS, 64 - Long.numberOfLeadingZeros(size - 1));
        byte[] b = new byte[bits];
        long y = x;
        do {
            for (int i = bits - 1; i >= 0; i--) {
                b[bits - 1 - i] = (byte) ((y >>> i) & 1);
            }
            byte[] c = ff1(encrypt, 2, b, tweak);
            y = 0;
            for (byte bit : c) {
                y = (y << 1) | bit;
            }
        } while (y < 0 || y >= size);
        return y;
    }

    private byte[] ff1(boolean encrypt, int radix, byte[] symbols, String tweak) {
        FPEFF1Engine engine = new FPEFF1Engine();
        engine.init(encrypt, new FPEParameters(new KeyParameter(aesKey), radix, tweak(tweak)));
        byte[] out = new byte[symbols.length];
        engine.processBlock(symbols, 0, symbols.length, out, 0);
        return out;
    }

    private byte[] tweak(String tweak) {
        return (label + '|' + tweak).getBytes(StandardCharsets.UTF_8);
    }

    private Table table(int size, String tweak) {
        return tables.computeIfAbsent(size + "|" + tweak, k -> shuffle(size, tweak));
    }

    private Table shuffle(int size, String tweak) {
        int[] p = new int[size];
        for (int i = 0; i < size; i++) {
            p[i] = i;
        }
        try {
            byte[] iv = MessageDigest.getInstance("SHA-256").digest(tweak(tweak + '|' + size));
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
        return new Table(p);
    }

    private static final class Table {
        final int[] forward;
        private volatile int[] inverse;

        Table(int[] forward) {
            this.forward = forward;
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
}
