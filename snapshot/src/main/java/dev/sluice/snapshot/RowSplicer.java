package dev.sluice.snapshot;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

/**
 * Passes rows of {@code COPY ... TO STDOUT} text through the processors of one relation, decoding
 * only the fields some processor uses ({@link Processor#columnsUsed}): each row is split at its
 * tabs and those fields become values ({@link #decode}); the processors run on the row with the
 * other fields as placeholders; and the row is written again ({@link #write}) with every field the
 * processors left as it was (the same instance) copied byte for byte and only the changed ones
 * encoded. What comes out decodes to exactly the values the processors returned.
 *
 * <p>Rows go into one buffer that is drained in chunks and reused, so memory holds one chunk (or
 * the largest row) whatever the table size. Not thread-safe: one per copy task.
 */
final class RowSplicer {

    /** Drains buffered bytes; {@code CopyIn::writeToCopy} is one. */
    @FunctionalInterface
    interface Drain {
        void write(byte[] bytes, int offset, int length) throws SQLException;
    }

    /**
     * Stands for a field that was not decoded. A processor sees it only in a column it said it does
     * not use; compared by identity. A NUL can never be part of a text value, so should it still
     * reach the target, the target refuses the row instead of storing it.
     */
    private static final String NOT_DECODED = new String("\u0000not decoded");

    /** A buffer grown past this for a large row is given back once drained. */
    private static final int KEEP_BYTES = 1 << 20;

    private final Relation relation;
    private final int width;
    /** Positions to decode, ascending. */
    private final int[] decoded;
    /** A row's values before decoding: every one the placeholder. Cloned per row, never changed. */
    private final String[] undecoded;
    /** Per field of the current row, where it starts and where it ends (exclusive) in the row. */
    private final int[] starts;

    private final int[] ends;
    private final int initialBytes;
    private byte[] out;
    private int length;
    /** The row last decoded, its values and the tuple handed to the processors, until written. */
    private byte[] row;

    private String[] values;
    private Tuple tuple;

    RowSplicer(Relation relation, List<Processor> processors, int initialBytes) {
        this.relation = relation;
        this.width = relation.columnCount();
        BitSet used = new BitSet(width);
        for (Processor p : processors) {
            used.or(p.columnsUsed(relation));
        }
        this.decoded = used.stream().filter(i -> i < width).toArray();
        this.undecoded = new String[width];
        Arrays.fill(undecoded, NOT_DECODED);
        this.starts = new int[Math.max(1, width)];
        this.ends = new int[Math.max(1, width)];
        this.initialBytes = initialBytes;
        this.out = new byte[initialBytes];
    }

    /** The columns this splicer decodes, for tests and logs. */
    int[] decodedColumns() {
        return decoded.clone();
    }

    /**
     * Splits a row (a line with its newline, as {@code CopyOut.readFromCopy} returns it) and decodes
     * the fields the processors use: the insert to hand them. The caller runs the processors and
     * passes what they return to {@link #write}, before decoding the next row.
     */
    Insert decode(byte[] row) {
        split(row);
        String[] values = undecoded.clone();
        for (int i : decoded) {
            values[i] = decode(row, starts[i], ends[i]);
        }
        this.row = row;
        this.values = values;
        this.tuple = Tuple.wrap(values);
        return new Insert(relation, tuple);
    }

    /**
     * Buffers the row last decoded as the processors left it: {@code null} (or anything but an
     * insert) when they dropped it.
     *
     * @return false when the row was dropped
     */
    boolean write(RowChange change) {
        // The processors run in the caller's loop rather than here: a method called once per row
        // that calls them is compiled early, with every transformer inlined into it, at a cost of
        // more CPU than the splicing saves on a table of a million rows.
        byte[] row = this.row;
        if (row == null) {
            throw new IllegalStateException("no row decoded to write");
        }
        String[] values = this.values;
        Tuple tuple = this.tuple;
        this.row = null;
        this.values = null;
        this.tuple = null;
        if (!(change instanceof Insert insert)) {
            return false;
        }
        Tuple after = insert.after();
        if (after == tuple) {
            // Nothing changed: the row as it came.
            ensure(row.length);
            System.arraycopy(row, 0, out, length, row.length);
            length += row.length;
            return true;
        }
        if (after.size() != width) {
            throw new IllegalStateException("a processor returned a row of " + after.size() + " columns for " + width);
        }
        int rowStart = length;
        for (int i = 0; i < width; i++) {
            if (i > 0) {
                ensure(1);
                out[length++] = '\t';
            }
            String v = after.get(i);
            String was = values[i];
            if (v == was) {
                // Left as it was, a placeholder or a decoded value: the source's bytes.
                copy(row, starts[i], ends[i]);
            } else if (was == NOT_DECODED) {
                length = rowStart;
                throw new IllegalStateException("a processor changed column " + i + " of " + relation.table()
                        + ", which it does not name among the columns it uses");
            } else if (v == NOT_DECODED) {
                length = rowStart;
                throw new IllegalStateException(
                        "a processor moved a value it does not use into column " + i + " of " + relation.table());
            } else {
                encode(v);
            }
        }
        ensure(1);
        out[length++] = '\n';
        return true;
    }

    /** Bytes buffered and not yet drained. */
    int buffered() {
        return length;
    }

    /** Hands the buffered bytes over and empties the buffer. */
    void drain(Drain drain) throws SQLException {
        if (length == 0) {
            return;
        }
        drain.write(out, 0, length);
        length = 0;
        if (out.length > KEEP_BYTES) {
            out = new byte[initialBytes];
        }
    }

    /** Finds the fields of a row; a tab inside a value is always written escaped, so every raw tab separates two. */
    private void split(byte[] row) {
        // Plain ifs, not Preconditions: its varargs would box on every field of every row.
        int end = row.length - 1;
        int field = 0;
        starts[0] = 0;
        for (int i = 0; i < end; i++) {
            if (row[i] == '\t') {
                if (field + 1 >= width) {
                    throw new IllegalStateException("COPY row has more than " + width + " fields");
                }
                ends[field++] = i;
                starts[field] = i + 1;
            }
        }
        if (field + 1 != width) {
            throw new IllegalStateException("COPY row has " + (field + 1) + " fields, expected " + width);
        }
        ends[field] = end;
    }

    private static String decode(byte[] row, int start, int end) {
        if (end - start == 2 && row[start] == '\\' && row[start + 1] == 'N') {
            return null;
        }
        // A field's bytes are whole characters: tabs and backslashes never occur inside a UTF-8 sequence.
        return CopyFormat.parseValue(new String(row, start, end - start, StandardCharsets.UTF_8));
    }

    private void copy(byte[] row, int start, int end) {
        int n = end - start;
        ensure(n);
        System.arraycopy(row, start, out, length, n);
        length += n;
    }

    /**
     * Writes a value as {@link CopyFormat#appendValue} escapes it, in UTF-8 as {@link
     * String#getBytes} encodes it (a lone surrogate becomes {@code ?}): escaping the UTF-8 bytes is
     * the same as escaping the chars, since the bytes of a multi-byte character are all above 0x7F.
     */
    private void encode(String v) {
        if (v == null) {
            ensure(2);
            out[length++] = '\\';
            out[length++] = 'N';
            return;
        }
        byte[] utf8 = v.getBytes(StandardCharsets.UTF_8);
        ensure(2 * utf8.length);
        byte[] b = out;
        int at = length;
        int run = 0;
        for (int i = 0; i < utf8.length; i++) {
            byte c = utf8[i];
            // Most bytes are printable, or part of a multi-byte character: one comparison lets them pass.
            if (c > '\r' ? c != '\\' : c < '\t' || c == 0x0B || c == 0x0C) {
                continue;
            }
            System.arraycopy(utf8, run, b, at, i - run);
            at += i - run;
            b[at++] = '\\';
            b[at++] = c == '\\' ? (byte) '\\' : c == '\n' ? (byte) 'n' : c == '\r' ? (byte) 'r' : (byte) 't';
            run = i + 1;
        }
        System.arraycopy(utf8, run, b, at, utf8.length - run);
        length = at + utf8.length - run;
    }

    private void ensure(int more) {
        if (length + more > out.length) {
            out = Arrays.copyOf(out, Math.max(2 * out.length, length + more));
        }
    }
}
