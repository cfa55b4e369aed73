package dev.sluice.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * What the snapshot copier's row path costs on the tables of {@code bench/snapshot.d} that carry a
 * transformed column, under that benchmark's own rules file, without servers: {@code rows} rows as
 * {@code COPY TO} sends them, held in memory, per pass through
 *
 * <ul>
 *   <li>{@code passthrough}: the byte-for-byte path of a table without rules;
 *   <li>{@code fullParse}: the path before splicing (parse every field, encode every field);
 *   <li>{@code splice}: {@link RowSplicer}, which decodes and re-encodes only the columns a rule reads
 *       or writes;
 *   <li>{@code transformsOnly}: the anonymizer alone on rows parsed beforehand, which no row path can
 *       save.
 * </ul>
 *
 * <p>Run from the repository's root (the rules file is read relative to it): {@code java -jar
 * bench/jmh/target/benchmarks.jar RowPathBench}. A cold JVM's single pass, as in a real copy where
 * compiling the hot code costs too: {@code ... RowPathBench -bm ss -wi 0 -i 1 -f 5 -p rows=1250000}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Thread)
public class RowPathBench {

    private static final int CHUNK_BYTES = 1 << 16;

    @Param({"orders", "events", "customers"})
    public String table;

    @Param("100000")
    public int rows;

    @Param("bench/snapshot.d/transform.yaml")
    public String rulesFile;

    private Relation relation;
    private List<Processor> processors;
    private byte[][] copyRows;
    private RowChange[] parsed;

    @Setup
    public void setUp() {
        relation = SnapshotRows.relation(table);
        copyRows = new byte[rows][];
        parsed = new RowChange[rows];
        for (int k = 0; k < rows; k++) {
            String line = SnapshotRows.row(table, k + 1L);
            copyRows[k] = line.getBytes(UTF_8);
            parsed[k] = new Insert(
                    relation,
                    Tuple.wrap(CopyFormat.parseLine(line.substring(0, line.length() - 1), relation.columnCount())));
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        processors = List.of(CompiledRules.compile(
                        Rules.load(Path.of(rulesFile)), TransformerRegistry.builtins(), Keyring.of(key), null)
                .anonymizer(new Anonymizer.Stats()));
    }

    @Benchmark
    public long passthrough(Blackhole out) {
        byte[] chunk = new byte[CHUNK_BYTES];
        int buffered = 0;
        long written = 0;
        for (byte[] row : copyRows) {
            if (buffered + row.length > chunk.length) {
                written += drain(out, chunk, 0, buffered);
                buffered = 0;
            }
            System.arraycopy(row, 0, chunk, buffered, row.length);
            buffered += row.length;
        }
        return written + drain(out, chunk, 0, buffered);
    }

    @Benchmark
    public long fullParse(Blackhole out) {
        int[] columns = IntStream.range(0, relation.columnCount()).toArray();
        StringBuilder text = new StringBuilder(CHUNK_BYTES + 1024);
        long written = 0;
        for (byte[] row : copyRows) {
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
            if (text.length() >= CHUNK_BYTES) {
                byte[] chunk = text.toString().getBytes(UTF_8);
                written += drain(out, chunk, 0, chunk.length);
                text.setLength(0);
            }
        }
        byte[] chunk = text.toString().getBytes(UTF_8);
        return written + drain(out, chunk, 0, chunk.length);
    }

    @Benchmark
    public long splice(Blackhole out) throws SQLException {
        RowSplicer splicer = new RowSplicer(relation, processors, CHUNK_BYTES);
        long[] written = {0};
        RowSplicer.Drain drain = (b, off, len) -> written[0] += drain(out, b, off, len);
        Processor[] ps = processors.toArray(Processor[]::new);
        for (byte[] row : copyRows) {
            RowChange change = splicer.decode(row);
            for (int i = 0; i < ps.length && change != null; i++) {
                change = ps[i].process(change);
            }
            splicer.write(change);
            if (splicer.buffered() >= CHUNK_BYTES) {
                splicer.drain(drain);
            }
        }
        splicer.drain(drain);
        return written[0];
    }

    @Benchmark
    public void transformsOnly(Blackhole out) {
        for (RowChange row : parsed) {
            RowChange change = row;
            for (Processor p : processors) {
                change = p.process(change);
            }
            out.consume(change);
        }
    }

    /** Stands for the driver's write: the bytes reach the blackhole, so no path can skip producing them. */
    private static int drain(Blackhole out, byte[] bytes, int offset, int length) {
        out.consume(bytes);
        out.consume(offset + length);
        return length;
    }
}
