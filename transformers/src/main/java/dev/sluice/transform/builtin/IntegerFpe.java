package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import java.util.Arrays;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * {@code integer_fpe}: a keyed bijection of the 64-bit integers that keeps every value within the
 * range of each integer type it fits ({@code smallint}, {@code integer}, {@code bigint}) and keeps
 * its sign, and with {@code keep_digits} (the default) its number of decimal digits too. Values
 * are permuted within <em>cells</em> cut at those boundaries, with FF1 (or a keyed shuffle for small
 * cells). The mapping does not depend on the column's type, so an {@code integer} key and a {@code
 * bigint} foreign key in one domain still join.
 *
 * <p>Values must be canonical integers ({@code -12}, not {@code +12} or {@code 012}) so that two
 * spellings of one number cannot map apart; PostgreSQL prints integers that way.
 */
final class IntegerFpe implements Transformer {

    /** Lower bounds of the cells on the non-negative side; a value's index is the value itself. */
    private final long[] positive;

    /** Lower bounds on the negative side, where a value {@code v}'s index is {@code -(v + 1)}. */
    private final long[] negative;

    private final Fpe fpe;
    private final AtomicReferenceArray<Fpe.Range> positiveRanges;
    private final AtomicReferenceArray<Fpe.Range> negativeRanges;

    IntegerFpe(Fpe fpe, boolean keepDigits) {
        this.fpe = fpe;
        TreeSet<Long> pos = new TreeSet<>(Arrays.asList(0L, 1L << 15, 1L << 31));
        TreeSet<Long> neg = new TreeSet<>(pos);
        if (keepDigits) {
            long p = 10;
            for (int d = 1; d <= 18; d++, p *= 10) {
                pos.add(p);
                // -(v + 1) for v = -10^d ... : the magnitude 10^d sits at index 10^d - 1.
                neg.add(p - 1);
            }
        }
        this.positive = pos.stream().mapToLong(Long::longValue).toArray();
        this.negative = neg.stream().mapToLong(Long::longValue).toArray();
        this.positiveRanges = new AtomicReferenceArray<>(positive.length);
        this.negativeRanges = new AtomicReferenceArray<>(negative.length);
    }

    static Transformer create(TransformerContext c) {
        ColumnTypes.require(c, "integer_fpe", ColumnTypes.INTEGERS);
        Parameters p = c.parameters();
        boolean keepDigits = p.bool("keep_digits", true);
        p.requireAllUsed();
        return new IntegerFpe(Fpe.of(c.key(), "integer_fpe" + (keepDigits ? "/digits" : "")), keepDigits);
    }

    @Override
    public Uniqueness uniqueness() {
        return Uniqueness.GUARANTEED;
    }

    @Override
    public String apply(String value) {
        return Long.toString(encrypt(parse(value)));
    }

    long encrypt(long v) {
        return v >= 0
                ? crypt(true, positive, positiveRanges, v, "+")
                : -crypt(true, negative, negativeRanges, -(v + 1), "-") - 1;
    }

    long decrypt(long v) {
        return v >= 0
                ? crypt(false, positive, positiveRanges, v, "+")
                : -crypt(false, negative, negativeRanges, -(v + 1), "-") - 1;
    }

    private long crypt(
            boolean encrypt, long[] bounds, AtomicReferenceArray<Fpe.Range> ranges, long index, String sign) {
        int cell = Arrays.binarySearch(bounds, index);
        if (cell < 0) {
            cell = -cell - 2;
        }
        long lo = bounds[cell];
        Fpe.Range range = ranges.get(cell);
        if (range == null) {
            long hi = cell + 1 < bounds.length ? bounds[cell + 1] - 1 : Long.MAX_VALUE;
            range = fpe.range(hi - lo + 1, sign + lo);
            ranges.set(cell, range);
        }
        long offset = index - lo;
        return lo + (encrypt ? range.permute(offset) : range.unpermute(offset));
    }

    static long parse(String value) {
        int n = value.length();
        int start = n > 0 && value.charAt(0) == '-' ? 1 : 0;
        boolean canonical = n > start && n - start <= 19;
        for (int i = start; i < n && canonical; i++) {
            char ch = value.charAt(i);
            canonical = ch >= '0' && ch <= '9' && !(i == start && ch == '0' && (n - start > 1 || start == 1));
        }
        if (!canonical) {
            throw new TransformException(
                    "not an integer in canonical form (digits, an optional minus sign, no" + " leading zeros)");
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new TransformException("integer outside the bigint range");
        }
    }
}
