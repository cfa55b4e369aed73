package dev.sluice.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * CPU the copier's row path spends on the tables of {@code bench/snapshot.d} that carry a
 * transformed column, under that benchmark's own rules file, without servers: the rows as {@code
 * COPY TO} sends them, made as {@code data.sql} makes them and held in memory, through the path
 * before splicing (parse every field, encode every field), through {@link RowSplicer}, through the
 * byte-for-byte path a table without rules takes, and (on rows parsed beforehand) through the
 * anonymizer alone, which no row path can save. Not a test: run by hand, on a machine as quiet as
 * can be had.
 *
 * <p>Usage: {@code java -cp <snapshot test classpath> dev.sluice.snapshot.SpliceCpuMain
 * [orders|events|customers] [rows, 0: the default] [rounds] [transform.yaml] [paths]}; by default {@code orders}, as
 * many rows as the benchmark's default size has, 5 rounds after a warm-up one, {@code
 * bench/snapshot.d/transform.yaml}, and every path ({@code passthrough,full,splice,transforms}).
 * With 0 rounds and one path, the warm-up round is a cold JVM's single pass, as in a real copy,
 * where compiling the hot code costs CPU too.
 */
public final class SpliceCpuMain {

    private static final int CHUNK_BYTES = 1 << 16;
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SpliceCpuMain() {}

    public static void main(String[] args) throws SQLException {
        String table = args.length > 0 ? args[0] : "orders";
        int n = args.length > 1 && Integer.parseInt(args[1]) > 0
                ? Integer.parseInt(args[1])
                : switch (table) {
                    case "events" -> 600_000;
                    case "customers" -> 250_000;
                    default -> 1_250_000;
                };
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path rulesFile = Path.of(args.length > 3 ? args[3] : "bench/snapshot.d/transform.yaml");
        List<String> paths = List.of((args.length > 4 ? args[4] : "passthrough,full,splice,transforms").split(","));
        Relation relation = relation(table);
        byte[][] rows = new byte[n][];
        for (int k = 0; k < n; k++) {
            rows[k] = row(table, k + 1L).getBytes(UTF_8);
        }
        long bytes = 0;
        for (byte[] r : rows) {
            bytes += r.length;
        }
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        List<Processor> processors = List.of(
                CompiledRules.compile(Rules.load(rulesFile), TransformerRegistry.builtins(), Keyring.of(key), null)
                        .anonymizer(new Anonymizer.Stats()));
        // The anonymizer alone, on rows parsed beforehand: what no row path can save.
        RowChange[] parsed = new RowChange[paths.contains("transforms") ? n : 0];
        for (int k = 0; k < parsed.length; k++) {
            String line = new String(rows[k], 0, rows[k].length - 1, UTF_8);
            parsed[k] = new Insert(relation, Tuple.wrap(CopyFormat.parseLine(line, relation.columnCount())));
        }
        System.out.printf(
                "%s: %,d rows, %,d bytes of COPY text, decoding columns %s of %d; %d rounds, alternating%n",
                table,
                n,
                bytes,
                java.util.Arrays.toString(new RowSplicer(relation, processors, 16).decodedColumns()),
                relation.columnCount(),
                rounds);
        System.out.println("round  path          thread CPU s   process CPU s   out bytes");
        for (int round = 0; round <= rounds; round++) {
            String label = round == 0 ? "warm-up" : String.valueOf(round);
            if (paths.contains("passthrough")) {
                measure(label, "passthrough", () -> passthrough(rows));
            }
            if (paths.contains("full")) {
                measure(label, "full parse", () -> fullParse(relation, processors, rows));
            }
            if (paths.contains("splice")) {
                measure(label, "splice", () -> splice(relation, processors, rows));
            }
            if (paths.contains("transforms")) {
                measure(label, "transforms", () -> transformsOnly(processors, parsed));
            }
        }
    }

    private static Relation relation(String table) {
        List<Relation.Column> columns = switch (table) {
            case "orders" ->
                List.of(
                        column("id", 20),
                        column("customer_id", 20),
                        column("status", 25),
                        column("currency", 1042),
                        column("total", 1700),
                        column("created_at", 1184),
                        column("shipped_at", 1184),
                        column("note", 25));
            case "events" ->
                List.of(
                        column("id", 20),
                        column("created_at", 1184),
                        column("customer_id", 20),
                        column("kind", 25),
                        column("payload", 3802));
            case "customers" ->
                List.of(
                        column("id", 20),
                        column("email", 25),
                        column("name", 25),
                        column("country", 1042),
                        column("created_at", 1184),
                        column("profile", 3802));
            default -> throw new IllegalArgumentException("table " + table + ": expected orders, events or customers");
        };
        return new Relation(1, new TableId("public", table), ReplicaIdentity.DEFAULT, columns);
    }

    private static Relation.Column column(String name, int typeOid) {
        return new Relation.Column(name, typeOid, -1, name.equals("id"));
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
        Processor[] ps = processors.toArray(Processor[]::new);
        for (byte[] row : rows) {
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

    /** Row {@code i} as {@code bench/snapshot.d/data.sql} makes it, as {@code COPY TO} prints it in UTC. */
    private static String row(String table, long i) {
        StringBuilder b = new StringBuilder(200);
        switch (table) {
            case "orders" -> {
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
                long created = EPOCH_2020 + i * 100 + Math.floorMod(mix(i * 13), 100);
                b.append(i).append('\t');
                b.append(1 + Math.floorMod(mix(i), 250_000)).append('\t');
                b.append(statuses[(int) (i % 10)]).append('\t');
                b.append(currencies[Math.floorMod(mix(i * 11), 6)]).append('\t');
                long cents = Math.floorMod(mix(i * 7), 100_000);
                b.append(String.format("%d.%02d", cents / 100, cents % 100)).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(created))).append("+00\t");
                if (i % 10 == 6 || i % 10 == 7) {
                    b.append("\\N");
                } else {
                    b.append(TS.format(Instant.ofEpochSecond(created + (1 + i % 5) * 86_400)))
                            .append("+00");
                }
                b.append('\t').append(i % 3 == 0 ? "Leave at the door, code " + md5(i).substring(0, 12) : "\\N");
            }
            case "events" -> {
                String[] kinds = {"login", "page.view", "cart.add", "cart.remove", "order.created", "email.opened"};
                String[] agents = {"firefox", "chrome", "safari", "app-ios", "app-android"};
                long created = EPOCH_2024 + Math.floorMod(mix(i), 385 * 86_400);
                b.append(i).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(created))).append("+00\t");
                b.append(1 + Math.floorMod(mix(i * 17), 250_000)).append('\t');
                b.append(kinds[(int) (i % 6)]).append('\t');
                long v = Math.floorMod(mix(i * 19), 10_000);
                // jsonb prints keys shorter first, then in byte order.
                b.append("{\"ip\": \"10.")
                        .append(i % 256)
                        .append('.')
                        .append(i / 256 % 256)
                        .append('.')
                        .append(i % 7)
                        .append("\", \"agent\": \"")
                        .append(agents[(int) (i % 5)])
                        .append("\", \"value\": ")
                        .append(String.format("%d.%02d00000000000000", v / 100, v % 100))
                        .append(", \"session\": \"")
                        .append(md5(i))
                        .append("\"}");
            }
            case "customers" -> {
                String[] domains = {"example.com", "mail.test", "corp.example", "shop.example"};
                String[] tiers = {"free", "pro", "enterprise"};
                int c = Math.floorMod(mix(i), 250);
                b.append(i).append('\t');
                b.append("user")
                        .append(i)
                        .append('@')
                        .append(domains[(int) (i % 4)])
                        .append('\t');
                b.append("Customer ").append(md5(i), 0, 6).append(' ').append(i).append('\t');
                b.append((char) ('A' + c / 26)).append((char) ('A' + c % 26)).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(EPOCH_2019 + Math.floorMod(mix(i * 5), 5 * 365 * 86_400))))
                        .append("+00\t");
                b.append("{\"tags\": [\"t")
                        .append(i % 17)
                        .append("\", \"t")
                        .append(i % 29)
                        .append("\"], \"tier\": \"")
                        .append(tiers[Math.floorMod(mix(i * 3), 3)])
                        .append("\", \"address\": {\"zip\": \"")
                        .append(String.format("%05d", i % 99_999))
                        .append("\", \"city\": \"City ")
                        .append(i % 5000)
                        .append("\", \"street\": \"")
                        .append(i % 999)
                        .append(" Main Street\"}, \"newsletter\": ")
                        .append(i % 3 == 0)
                        .append('}');
            }
            default -> throw new IllegalArgumentException(table);
        }
        return b.append('\n').toString();
    }

    private static final long EPOCH_2019 = Instant.parse("2019-01-01T00:00:00Z").getEpochSecond();
    private static final long EPOCH_2020 = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
    private static final long EPOCH_2024 = Instant.parse("2024-01-01T00:00:00Z").getEpochSecond();

    /** 32 hex digits standing for {@code md5(i::text)}. */
    private static String md5(long i) {
        return HEX.toHexDigits(mix(i)) + HEX.toHexDigits(mix(~i));
    }

    private static long mix(long v) {
        long z = v * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
