package dev.sluice.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import java.io.ByteArrayOutputStream;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The splicing path writes what the full path (parse every field, run the processors, encode every
 * field) wrote before it, for any row and any processor that keeps to the columns it names.
 */
class RowSplicerTest {

    /** Parse every field, run the processors, encode every field: the copier's path before splicing. */
    static byte[] fullPath(Relation relation, List<Processor> processors, List<byte[]> rows) {
        int[] columns = new int[relation.columnCount()];
        Arrays.setAll(columns, i -> i);
        StringBuilder text = new StringBuilder();
        for (byte[] row : rows) {
            String line = new String(row, 0, row.length - 1, UTF_8);
            RowChange change = new Insert(relation, Tuple.wrap(CopyFormat.parseLine(line, relation.columnCount())));
            for (Processor p : processors) {
                change = p.process(change);
                if (change == null) {
                    break;
                }
            }
            if (change instanceof Insert insert) {
                CopyFormat.appendRow(text, insert.after(), columns);
            }
        }
        return text.toString().getBytes(UTF_8);
    }

    /** The rows through a splicer, drained in chunks as small as the copier's are large. */
    static byte[] splicePath(Relation relation, List<Processor> processors, List<byte[]> rows) {
        RowSplicer splicer = new RowSplicer(relation, processors, 16);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            for (byte[] row : rows) {
                append(splicer, processors, row);
                if (splicer.buffered() >= 64) {
                    splicer.drain(out::write);
                }
            }
            splicer.drain(out::write);
        } catch (SQLException e) {
            throw new AssertionError(e);
        }
        return out.toByteArray();
    }

    /** One row through the splicer and the processors, as the copier passes it. */
    static boolean append(RowSplicer splicer, List<Processor> processors, byte[] row) {
        RowChange change = splicer.decode(row);
        for (int i = 0; i < processors.size() && change != null; i++) {
            change = processors.get(i).process(change);
        }
        return splicer.write(change);
    }

    static Relation relation(int width) {
        List<Relation.Column> columns = new ArrayList<>();
        for (int i = 0; i < width; i++) {
            columns.add(new Relation.Column("c" + i, 25, -1, i == 0));
        }
        return new Relation(1, new TableId("public", "t"), ReplicaIdentity.DEFAULT, columns);
    }

    /** A row as {@link CopyFormat#appendValue} writes it. */
    static byte[] line(String... values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                b.append('\t');
            }
            CopyFormat.appendValue(b, values[i]);
        }
        return b.append('\n').toString().getBytes(UTF_8);
    }

    /** A row as the server's {@code COPY TO} writes it: \b, \f and \v escaped too. */
    static byte[] serverLine(String... values) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                b.append('\t');
            }
            if (values[i] == null) {
                b.append("\\N");
                continue;
            }
            for (char c : values[i].toCharArray()) {
                switch (c) {
                    case '\\' -> b.append("\\\\");
                    case '\b' -> b.append("\\b");
                    case '\f' -> b.append("\\f");
                    case '\n' -> b.append("\\n");
                    case '\r' -> b.append("\\r");
                    case '\t' -> b.append("\\t");
                    case '\u000B' -> b.append("\\v");
                    default -> b.append(c);
                }
            }
        }
        return b.append('\n').toString().getBytes(UTF_8);
    }

    /** The rows of {@code COPY} text; only a row's end is a raw newline. */
    static List<String[]> parse(byte[] copyText, int width) {
        String[] lines = new String(copyText, UTF_8).split("\n", -1);
        List<String[]> rows = new ArrayList<>();
        for (int i = 0; i < lines.length - 1; i++) {
            rows.add(CopyFormat.parseLine(lines[i], width));
        }
        return rows;
    }

    // ---- what a processor does to a row, generated ----

    /** One step of a scripted processor, on columns it names as used. */
    sealed interface Op {
        record Keep(int column) implements Op {}

        record Replace(int column, String value) implements Op {}

        record Upper(int column) implements Op {}

        /** Equal text, another instance: must be encoded again, to the same bytes. */
        record Copy(int column) implements Op {}

        /** Reads one column, writes another. */
        record From(int column, int source) implements Op {}

        /** Drops the row when the column is NULL. */
        record DropIfNull(int column) implements Op {}
    }

    /** A processor that uses exactly {@code used} and does {@code ops} there. */
    record Scripted(BitSet used, List<Op> ops) implements Processor {
        @Override
        public RowChange process(RowChange change) {
            Tuple in = ((Insert) change).after();
            Tuple out = in;
            for (Op op : ops) {
                switch (op) {
                    case Op.Keep k -> {}
                    case Op.Replace s -> out = out.with(s.column(), s.value());
                    case Op.Upper u -> {
                        String v = in.get(u.column());
                        out = out.with(u.column(), v == null ? null : v.toUpperCase(java.util.Locale.ROOT));
                    }
                    case Op.Copy c -> {
                        String v = in.get(c.column());
                        out = out.with(c.column(), v == null ? null : new String(v.toCharArray()));
                    }
                    case Op.From f -> out = out.with(f.column(), in.get(f.source()));
                    case Op.DropIfNull d -> {
                        if (in.isNull(d.column())) {
                            return null;
                        }
                    }
                }
            }
            return out == in ? change : new Insert(change.relation(), out);
        }

        @Override
        public BitSet columnsUsed(Relation relation) {
            return (BitSet) used.clone();
        }
    }

    /** Values the server can send: escapes, NULLs, empty strings, a literal \N, multi-byte and 4-byte UTF-8. */
    static Arbitrary<String> sourceValues() {
        Arbitrary<String> pieces = Arbitraries.of(
                "a", "Z", "0", " ", "\\", "\t", "\n", "\r", "\b", "\f", "\u000B", "N", "\\N", "x", "é", "€", "日本", "🐘",
                "\u0001", "\"", "{", ",");
        Arbitrary<String> text = pieces.list().ofMaxSize(12).map(l -> String.join("", l));
        // Text four times as often as an empty string or a literal \N; NULL one time in five.
        return Arbitraries.oneOf(text, text, text, text, Arbitraries.just(""), Arbitraries.just("\\N"))
                .injectNull(0.2);
    }

    /** What a processor may write: anything a source value may be, and lone surrogates. */
    static Arbitrary<String> outputValues() {
        return Arbitraries.oneOf(sourceValues(), Arbitraries.of("\uD800", "a\uDC00b", "\uDBFF\uDFFF", "x\uD83D"));
    }

    /** A table shape, rows of it, and one to three processors keeping to their columns. */
    record Case(int width, List<String[]> rows, List<Processor> processors) {
        @Override
        public String toString() {
            StringBuilder b = new StringBuilder("width " + width + ", processors " + processors + ", rows:");
            for (String[] r : rows) {
                b.append("\n  ").append(Arrays.toString(r));
            }
            return b.toString();
        }
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.integers().between(1, 7).flatMap(width -> {
            Arbitrary<String[]> row = sourceValues().array(String[].class).ofSize(width);
            Arbitrary<Processor> processor = Arbitraries.integers()
                    .between(0, (1 << width) - 1)
                    .flatMap(mask -> {
                        BitSet used = BitSet.valueOf(new long[] {mask});
                        int[] columns = used.stream().toArray();
                        if (columns.length == 0) {
                            return Arbitraries.just(new Scripted(used, List.of()));
                        }
                        Arbitrary<Integer> column =
                                Arbitraries.of(Arrays.stream(columns).boxed().toList());
                        Arbitrary<Op> op = Arbitraries.<Op>oneOf(
                                column.map(Op.Keep::new),
                                Combinators.combine(column, outputValues()).as(Op.Replace::new),
                                column.map(Op.Upper::new),
                                column.map(Op.Copy::new),
                                Combinators.combine(column, column).as(Op.From::new),
                                column.map(Op.DropIfNull::new));
                        return op.list().ofMaxSize(4).map(ops -> new Scripted(used, ops));
                    });
            return Combinators.combine(
                            row.list().ofMinSize(1).ofMaxSize(12),
                            processor.list().ofMinSize(1).ofMaxSize(3))
                    .as((rows, processors) -> new Case(width, rows, processors));
        });
    }

    @Property(tries = 2000)
    void splicedRowsAreByteIdenticalToFullyParsedOnes(@ForAll("cases") Case c) {
        Relation relation = relation(c.width());
        List<byte[]> rows = c.rows().stream().map(RowSplicerTest::line).toList();

        assertThat(new String(splicePath(relation, c.processors(), rows), UTF_8))
                .isEqualTo(new String(fullPath(relation, c.processors(), rows), UTF_8));
    }

    @Property(tries = 1000)
    void rowsInTheServersSpellingOfEscapesLoadTheSameValues(@ForAll("cases") Case c) {
        Relation relation = relation(c.width());
        List<byte[]> rows = c.rows().stream().map(RowSplicerTest::serverLine).toList();

        List<String[]> spliced = parse(splicePath(relation, c.processors(), rows), c.width());
        List<String[]> full = parse(fullPath(relation, c.processors(), rows), c.width());

        assertThat(spliced).hasSameSizeAs(full);
        for (int r = 0; r < full.size(); r++) {
            assertThat(spliced.get(r)).containsExactly(full.get(r));
        }
    }

    @Property(tries = 1000)
    void columnsNoProcessorUsesKeepTheSourcesBytes(@ForAll("cases") Case c) {
        Relation relation = relation(c.width());
        BitSet used = new BitSet();
        for (Processor p : c.processors()) {
            used.or(p.columnsUsed(relation));
        }
        List<byte[]> rows = c.rows().stream().map(RowSplicerTest::serverLine).toList();
        List<byte[]> kept = new ArrayList<>();
        for (byte[] row : rows) {
            if (splicePath(relation, c.processors(), List.of(row)).length > 0) {
                kept.add(row);
            }
        }
        String[] out = new String(splicePath(relation, c.processors(), rows), UTF_8).split("\n", -1);

        for (int r = 0; r < kept.size(); r++) {
            String[] source = new String(kept.get(r), 0, kept.get(r).length - 1, UTF_8).split("\t", -1);
            String[] written = out[r].split("\t", -1);
            for (int i = used.nextClearBit(0); i < c.width(); i = used.nextClearBit(i + 1)) {
                assertThat(written[i]).as("row %d, column %d", r, i).isEqualTo(source[i]);
            }
        }
    }

    /** Replaces every column it uses with a value derived from, and never equal to, the source's. */
    record Masking(BitSet used) implements Processor {
        static String mask(String v) {
            return v == null ? "was-null" : "masked:" + Integer.toHexString(v.hashCode()) + ":" + v.length();
        }

        @Override
        public RowChange process(RowChange change) {
            Tuple t = ((Insert) change).after();
            for (int i = used.nextSetBit(0); i >= 0; i = used.nextSetBit(i + 1)) {
                t = t.with(i, mask(t.get(i)));
            }
            return new Insert(change.relation(), t);
        }

        @Override
        public BitSet columnsUsed(Relation relation) {
            return (BitSet) used.clone();
        }
    }

    @Property(tries = 1000)
    void transformedColumnsNeverCarryTheSourcesValue(@ForAll("cases") Case c, @ForAll("masks") int mask) {
        Relation relation = relation(c.width());
        BitSet used = BitSet.valueOf(new long[] {mask & ((1L << c.width()) - 1)});
        List<byte[]> rows = c.rows().stream().map(RowSplicerTest::serverLine).toList();

        List<String[]> written = parse(splicePath(relation, List.of(new Masking(used)), rows), c.width());

        assertThat(written).hasSameSizeAs(rows);
        for (int r = 0; r < rows.size(); r++) {
            String[] source = c.rows().get(r);
            for (int i = 0; i < c.width(); i++) {
                if (used.get(i)) {
                    assertThat(written.get(r)[i])
                            .as("row %d, column %d", r, i)
                            .isEqualTo(Masking.mask(source[i]))
                            .isNotEqualTo(source[i]);
                } else {
                    assertThat(written.get(r)[i]).as("row %d, column %d", r, i).isEqualTo(source[i]);
                }
            }
        }
    }

    @Provide
    Arbitrary<Integer> masks() {
        return Arbitraries.integers().between(1, 127);
    }

    @Test
    void onlyTheColumnsSomeProcessorUsesAreDecoded() {
        Relation relation = relation(5);
        BitSet first = new BitSet();
        first.set(1);
        BitSet second = new BitSet();
        second.set(3);

        assertThat(new RowSplicer(
                                relation, List.of(new Scripted(first, List.of()), new Scripted(second, List.of())), 16)
                        .decodedColumns())
                .containsExactly(1, 3);
        Processor undeclared = change -> change;
        assertThat(new RowSplicer(relation, List.of(undeclared), 16).decodedColumns())
                .as("a processor that names no columns may use any")
                .containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void aProcessorChangingAColumnItDoesNotNameFailsTheRowInsteadOfWritingIt() {
        Relation relation = relation(3);
        BitSet used = new BitSet();
        used.set(0);
        Processor liar = new Processor() {
            @Override
            public RowChange process(RowChange change) {
                return new Insert(change.relation(), ((Insert) change).after().with(2, "changed"));
            }

            @Override
            public BitSet columnsUsed(Relation r) {
                return (BitSet) used.clone();
            }
        };
        RowSplicer splicer = new RowSplicer(relation, List.of(liar), 16);

        assertThatThrownBy(() -> append(splicer, List.of(liar), line("1", "a", "raw")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("changed column 2 of public.t, which it does not name");
        assertThat(splicer.buffered()).isZero();
    }

    @Test
    void aRowWithTheWrongNumberOfFieldsIsAnError() {
        RowSplicer splicer = new RowSplicer(relation(3), List.of(new Masking(new BitSet())), 16);

        assertThatThrownBy(() -> splicer.decode(line("1", "2")))
                .hasMessageContaining("COPY row has 2 fields, expected 3");
        assertThatThrownBy(() -> splicer.decode(line("1", "2", "3", "4"))).hasMessageContaining("more than 3 fields");
    }

    @Test
    void aRowLargerThanTheBufferIsWrittenWhole() throws SQLException {
        BitSet used = new BitSet();
        used.set(1);
        List<Processor> masking = List.of(new Masking(used));
        RowSplicer splicer = new RowSplicer(relation(2), masking, 16);
        // Past the size at which the buffer is given back once drained, too.
        String big = "é\t".repeat(300_000);

        append(splicer, masking, line(big, "v"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        splicer.drain(out::write);

        List<String[]> rows = parse(out.toByteArray(), 2);
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0)[0].equals(big)).as("the large field, whole").isTrue();
        assertThat(rows.get(0)[1]).isEqualTo(Masking.mask("v"));
        assertThat(splicer.buffered()).isZero();
    }
}
