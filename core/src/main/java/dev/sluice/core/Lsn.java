package dev.sluice.core;

/**
 * A position in the PostgreSQL write-ahead log, as the unsigned 64-bit value PostgreSQL uses.
 *
 * <p>Ordering is unsigned, so positions past {@code 8000000/0} still compare correctly. The text form
 * is PostgreSQL's own ({@code 16/B374D848}), accepted by {@code pg_lsn}.
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** PostgreSQL's {@code InvalidXLogRecPtr}: no position. */
    public static final Lsn INVALID = new Lsn(0);

    /** Parses {@code XXX/XXX}; throws {@link IllegalArgumentException} naming the text otherwise. */
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected e.g. 16/B374D848)");
        }
        try {
            long hi = Long.parseUnsignedLong(text.substring(0, slash), 16);
            long lo = Long.parseUnsignedLong(text.substring(slash + 1), 16);
            if (hi > 0xFFFF_FFFFL || lo > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("not an LSN: '" + text + "' (each half must fit 32 bits)");
            }
            return new Lsn(hi << 32 | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected e.g. 16/B374D848)", e);
        }
    }

    public boolean isValid() {
        return value != 0;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    /** Bytes from {@code earlier} to this position; 0 when {@code earlier} is not before it. */
    public long bytesSince(Lsn earlier) {
        return isAfter(earlier) ? value - earlier.value : 0;
    }

    public static Lsn max(Lsn a, Lsn b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/"
                + Long.toHexString(value & 0xFFFF_FFFFL).toUpperCase();
    }
}
