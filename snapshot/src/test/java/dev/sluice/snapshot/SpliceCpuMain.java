package dev.sluice.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * CPU the copier's row path spends on a table shaped like {@code bench/snapshot.d}'s {@code orders}
 * (1,250,000 rows; {@code created_at} and {@code shipped_at} shifted, {@code note} transformed, the
 * other columns {@code noop}), without servers: the rows as {@code COPY TO} sends them, held in
 * memory, through the path before splicing (parse every field, encode every field) and through
 * {@link RowSplicer}, through the byte-for-byte path a table without rules takes, and (on rows
 * parsed beforehand) through the anonymizer alone, which no row path can save. Not a test:
 * run by hand (see the class's usage line), on a machine as quiet as can be had.
 *
 * <p>Usage: {@code java -cp <test classpath> dev.sluice.snapshot.SpliceCpuMain [rows] [rounds]}
 */
public final class SpliceCpuMain {

    private static final int CHUNK_BYTES = 1 << 16;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private SpliceCpuMain() {}

    public static void main(String[] args) throws SQLException {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_250_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        byte[][] rows = orders(n);
        long bytes = 0;
        for (byte[] r : rows) {
            bytes += r.length;
        }
        // The relation lacks the strict-mode column the test adds: exactly the benchmark's eight.
        Relation relation = new Relation(
                1,
                AnonymizedSpliceTest.ORDERS.table(),
                AnonymizedSpliceTest.ORDERS.replicaIdentity(),
                AnonymizedSpliceTest.ORDERS.columns().subList(0, 8));
        List<Processor> processors = List.of(AnonymizedSpliceTest.anonymizer());
        System.out.printf("%,d rows, %,d bytes of COPY text; %d rounds each, alternating%n", n, bytes, rounds);
        // The anonymizer alone, on rows parsed beforehand: what no row path can save.
        RowChange[] parsed = new RowChange[n];
        for (int k = 0; k < n; k++) {
            String line = new String(rows[k], 0, rows[k].length - 1, UTF_8);
            parsed[k] = new Insert(relation, Tuple.wrap(CopyFormat.parseLine(line, relation.columnCount())));
        }
        System.out.println("round  path          thread CPU s   process CPU s   out bytes");
        for (int round = 0; round <= rounds; round++) {
            String label = round == 0 ? "warm-up" : String.valueOf(round);
            measure(label, "passthrough", () -> passthrough(rows));
            measure(label, "full parse", () -> fullParse(relation, processors, rows));
            measure(label, "splice", () -> splice(relation, processors, rows));
            measure(label, "transforms", () -> transformsOnly(processors, parsed));
        }
    }

    interface Run {
        long run() throws SQLException;
    }

    private static void measure(String round, String path, Run run) throws SQLException {
        System.gc();
        long process = processCpuNanos();
        long thread = THREADS.getCurrentThreadCpuTime();
        long out = run.run();
        double threadS = (THREADS.getCurrentThreadCpuTime() - thread) / 1e9;
        double processS = (processCpuNanos() - process) / 1e9;
        System.out.printf("%-6s %-13s %12.2f %15.2f %,11d%n", round, path, threadS, processS, out);
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static long transformsOnly(List<Processor> processors, RowChange[] parsed) {
        long out = 0;
        for (RowChange row : parsed) {
            RowChange change = row;
            for (Processor p : processors) {
                change = p.process(change);
            }
            out += change == null ? 0 : 1;
        }
        return out;
    }

    /** What the copier does for a table no processor changes. */
    private static long passthrough(byte[][] rows) {
        byte[] chunk = new byte[CHUNK_BYTES];
        int buffered = 0;
        long out = 0;
        for (byte[] row : rows) {
            if (buffered + row.length > chunk.length) {
                out += consume(chunk, 0, buffered);
                buffered = 0;
            }
            System.arraycopy(row, 0, chunk, buffered, row.length);
            buffered += row.length;
        }
        return out + consume(chunk, 0, buffered);
    }

    /** The copier's path before splicing, as it was at 3e32537. */
    private static long fullParse(Relation relation, List<Processor> processors, byte[][] rows) {
        int[] columns =
                java.util.stream.IntStream.range(0, relation.columnCount()).toArray();
        StringBuilder text = new StringBuilder(CHUNK_BYTES + 1024);
        long out = 0;
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
            if (text.length() >= CHUNK_BYTES) {
                byte[] chunk = text.toString().getBytes(UTF_8);
                out += consume(chunk, 0, chunk.length);
                text.setLength(0);
            }
        }
        byte[] chunk = text.toString().getBytes(UTF_8);
        return out + consume(chunk, 0, chunk.length);
    }

    private static long splice(Relation relation, List<Processor> processors, byte[][] rows) throws SQLException {
        RowSplicer splicer = new RowSplicer(relation, processors, CHUNK_BYTES);
        long[] out = {0};
        RowSplicer.Drain drain = (b, off, len) -> out[0] += consume(b, off, len);
        for (byte[] row : rows) {
            splicer.append(row);
            if (splicer.buffered() >= CHUNK_BYTES) {
                splicer.drain(drain);
            }
        }
        splicer.drain(drain);
        return out[0];
    }

    /** Stands for the driver's write: reads the bytes so that no path can skip producing them. */
    private static long consume(byte[] b, int off, int len) {
        long sum = 0;
        for (int i = off; i < off + len; i += 64) {
            sum += b[i];
        }
        sink += sum;
        return len;
    }

    /** Keeps {@link #consume}'s reads from being optimized away. */
    static volatile long sink;

    /** Rows as {@code bench/snapshot.d/data.sql} makes them, as {@code COPY TO} prints them in UTC. */
    static byte[][] orders(int n) {
        String[] statuses = {
            "delivered",
            "delivered",
            "delivered",
            "delivered",
            "shipped",
            "paid",
            "new",
            "cancelled",
            "returned",
            "delivered"
        };
        String[] currencies = {"EUR", "EUR", "USD", "GBP", "CHF", "SEK"};
        DateTimeFormatter ts =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
        long epoch = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
        HexFormat hex = HexFormat.of();
        byte[][] rows = new byte[n][];
        StringBuilder b = new StringBuilder(160);
        for (int k = 0; k < n; k++) {
            long i = k + 1L;
            long created = epoch + i * 100 + Math.floorMod(mix(i * 13), 100);
            b.setLength(0);
            b.append(i).append('\t');
            b.append(1 + Math.floorMod(mix(i), 250_000)).append('\t');
            b.append(statuses[(int) (i % 10)]).append('\t');
            b.append(currencies[Math.floorMod(mix(i * 11), 6)]).append('\t');
            long cents = Math.floorMod(mix(i * 7), 100_000);
            b.append(cents / 100)
                    .append('.')
                    .append(cents % 100 < 10 ? "0" : "")
                    .append(cents % 100)
                    .append('\t');
            b.append(ts.format(Instant.ofEpochSecond(created))).append("+00\t");
            if (i % 10 == 6 || i % 10 == 7) {
                b.append("\\N");
            } else {
                b.append(ts.format(Instant.ofEpochSecond(created + (1 + i % 5) * 86_400)))
                        .append("+00");
            }
            b.append('\t');
            if (i % 3 == 0) {
                b.append("Leave at the door, code ").append(hex.formatHex(new byte[] {
                    (byte) mix(i),
                    (byte) (mix(i) >> 8),
                    (byte) (mix(i) >> 16),
                    (byte) (mix(i) >> 24),
                    (byte) (mix(i) >> 32),
                    (byte) (mix(i) >> 40)
                }));
            } else {
                b.append("\\N");
            }
            rows[k] = b.append('\n').toString().getBytes(UTF_8);
        }
        return rows;
    }

    private static long mix(long v) {
        long z = v * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
