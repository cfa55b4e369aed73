package dev.sluice.core.event;

import java.util.Arrays;

/**
 * The values of one row image, in the text form PostgreSQL prints them, so that any type arrives
 * byte-exact.
 *
 * <p>Each position holds either a value, SQL {@code NULL} ({@code null}), or the marker that a
 * TOASTed value did not change in an update and was therefore not sent: such a column must keep
 * the target's value. Tuples are immutable.
 */
public final class Tuple {

    /** Stands for "unchanged TOASTed value, not sent"; compared by identity. */
    private static final String UNCHANGED = new String("\u0000unchanged-toast");

    private final String[] values;

    private Tuple(String[] values) {
        this.values = values;
    }

    /** Wraps the given array, which the caller must not change afterwards. */
    public static Tuple wrap(String[] values) {
        return new Tuple(values);
    }

    /** The marker to store in an array passed to {@link #wrap} for an unchanged TOASTed value. */
    public static String unchangedToastMarker() {
        return UNCHANGED;
    }

    public int size() {
        return values.length;
    }

    /** The text value, or {@code null} for SQL NULL; must not be called for an unchanged TOAST column. */
    public String get(int index) {
        String v = values[index];
        if (v == UNCHANGED) {
            throw new IllegalStateException("column " + index + " is an unchanged TOAST value and was not sent");
        }
        return v;
    }

    public boolean isNull(int index) {
        return values[index] == null;
    }

    public boolean isUnchangedToast(int index) {
        return values[index] == UNCHANGED;
    }

    public boolean hasUnchangedToast() {
        for (String v : values) {
            if (v == UNCHANGED) {
                return true;
            }
        }
        return false;
    }

    /** A copy with one position replaced; used by processors that rewrite values. */
    public Tuple with(int index, String value) {
        String[] copy = values.clone();
        copy[index] = value;
        return new Tuple(copy);
    }

    /** Approximate heap size of the values, for memory accounting. */
    public long approximateBytes() {
        long bytes = 16 + 8L * values.length;
        for (String v : values) {
            if (v != null && v != UNCHANGED) {
                bytes += 40 + v.length();
            }
        }
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tuple t && Arrays.equals(values, t.values);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(values);
    }

    /** Does not print values: they may be personal data. */
    @Override
    public String toString() {
        return "Tuple[" + values.length + " columns]";
    }
}
