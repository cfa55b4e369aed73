import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.BranchState;
import dev.sluice.branching.BranchStore;
import dev.sluice.branching.StoreOptions;
import dev.sluice.core.PgUrl;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The driver of bench/branching: opens a branch store in a directory, grows main's database to each
 * size in turn and measures, at each size and in the same run, branch creation (to ready-to-connect),
 * CREATE DATABASE ... TEMPLATE, pg_basebackup and wake on connect, with the filesystem's free space
 * (statvfs) before and after each copy.
 *
 * <p>Usage: java -cp CLASSPATH BranchBench.java STORE_DIR PG_BIN SIZE_MB[,SIZE_MB...] BRANCHES
 */
public final class BranchBench {

    private static final List<String> RESULTS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        Path pgBin = Path.of(args[1]);
        List<Long> sizesMb = java.util.Arrays.stream(args[2].split(",")).map(Long::parseLong).toList();
        int branches = Integer.parseInt(args[3]);
        StoreOptions options = StoreOptions.defaults()
                .withIdleStop(Duration.ofSeconds(1))
                .withReaperInterval(Duration.ofMillis(100));
        long t0 = System.nanoTime();
        try (BranchStore store = BranchStore.open(root, options)) {
            log("store open in %.1f s: %s", seconds(t0), store.filesystemDescription());
            PgUrl main = store.mainWriterUrl();
            execute(main, "CREATE TABLE IF NOT EXISTS bench_rows (id bigint PRIMARY KEY, customer int NOT NULL,"
                    + " amount numeric(12,2) NOT NULL, created timestamptz NOT NULL, note text NOT NULL)");
            execute(main, "CREATE INDEX IF NOT EXISTS bench_rows_customer ON bench_rows (customer)");
            int round = 0;
            for (long sizeMb : sizesMb) {
                round++;
                grow(main, sizeMb);
                long dbBytes = queryLong(main, "SELECT pg_database_size(current_database())");
                log("--- main's database: %s (%d rows)", mb(dbBytes), queryLong(main, "SELECT count(*) FROM bench_rows"));
                measureBranches(store, root, round, dbBytes, branches);
                measureWriterStall(store, round, branches);
                measureTemplate(main, root, dbBytes);
                measureBaseBackup(main, root, pgBin, dbBytes);
                measureWake(store, round, branches);
                for (int i = 1; i <= branches; i++) {
                    store.delete("r" + round + "-b" + i, true);
                }
            }
        }
        System.out.println();
        System.out.println("RESULTS");
        RESULTS.forEach(System.out::println);
    }

    private static void grow(PgUrl main, long sizeMb) throws SQLException {
        long target = sizeMb * 1024 * 1024;
        long started = System.nanoTime();
        long size;
        while ((size = queryLong(main, "SELECT pg_database_size(current_database())")) < target) {
            // About 190 bytes per row with its index entries: aim just under the target, never far over.
            long rows = Math.max(10_000, Math.min(500_000, (target - size) / 190));
            execute(main, "INSERT INTO bench_rows SELECT g, (g * 7919) % 100000, (g % 100000) / 100.0,"
                    + " timestamptz '2026-01-01' + g * interval '1 second', repeat(md5(g::text), 2)"
                    + " FROM generate_series(coalesce((SELECT max(id) FROM bench_rows), 0) + 1,"
                    + " coalesce((SELECT max(id) FROM bench_rows), 0) + " + rows + ") g");
        }
        execute(main, "VACUUM ANALYZE bench_rows", "CHECKPOINT");
        log("grew main to %s in %.1f s", mb(queryLong(main, "SELECT pg_database_size(current_database())")), seconds(started));
    }

    private static void measureBranches(BranchStore store, Path root, int round, long dbBytes, int count)
            throws Exception {
        List<Double> times = new ArrayList<>();
        List<Long> spaces = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = "r" + round + "-b" + i;
            long free = freeBytes(root);
            long started = System.nanoTime();
            Branch branch = store.create(BranchSpec.of(name));
            queryLong(branch.url(), "SELECT 1"); // ready to connect: a client gets an answer
            double took = seconds(started);
            long used = free - freeBytes(root);
            times.add(took);
            spaces.add(used);
            log("branch %s: ready to connect in %.3f s, new space %s (%.3f%% of the parent)",
                    name, took, mb(used), 100.0 * used / dbBytes);
        }
        RESULTS.add(String.format(Locale.ROOT,
                "%-10s %-34s time median %.3f s, max %.3f s; new space median %s, max %s (%.3f%% of parent)",
                mb(dbBytes), "sluice branch (x" + count + ")", median(times), Collections.max(times),
                mb(medianLong(spaces)), mb(Collections.max(spaces)), 100.0 * Collections.max(spaces) / dbBytes));
    }

    /**
     * Branches made while a writer commits on main without pause: how long its slowest commit took
     * during each create, against the slowest in a second before them.
     */
    private static void measureWriterStall(BranchStore store, int round, int count) throws Exception {
        Writer writer = new Writer(store.mainWriterUrl());
        Thread writing = Thread.ofPlatform().start(writer);
        List<Double> during = new ArrayList<>();
        List<Double> times = new ArrayList<>();
        double baseline;
        try {
            Thread.sleep(1000);
            baseline = writer.takeMaxMillis();
            for (int i = 1; i <= count; i++) {
                String name = "r" + round + "-w" + i;
                long started = System.nanoTime();
                Branch branch = store.create(BranchSpec.of(name));
                queryLong(branch.url(), "SELECT 1");
                times.add(seconds(started));
                during.add(writer.takeMaxMillis());
                store.delete(name, true);
                Thread.sleep(200);
                writer.takeMaxMillis(); // the delete is not measured
            }
        } finally {
            writer.stop = true;
            writing.join();
        }
        log("main's writer: %d commits; slowest %.1f ms in the second before, per create: %s ms",
                writer.commits, baseline, during);
        RESULTS.add(String.format(Locale.ROOT,
                "%-10s %-34s branch time median %.3f s; main's slowest commit %.1f ms before, %.1f ms during (%d commits)",
                "", "branch while main commits (x" + count + ")", median(times), baseline, Collections.max(during),
                writer.commits));
    }

    private static void measureTemplate(PgUrl main, Path root, long dbBytes) throws SQLException, IOException {
        PgUrl admin = PgUrl.parse("main", main.toUrlWithPassword().replaceFirst("/[^/?]+(\\?|$)", "/postgres$1"));
        long free = freeBytes(root);
        long started = System.nanoTime();
        execute(admin, "CREATE DATABASE bench_template_copy TEMPLATE " + main.database());
        double took = seconds(started);
        long used = free - freeBytes(root);
        execute(admin, "DROP DATABASE bench_template_copy", "CHECKPOINT");
        log("CREATE DATABASE ... TEMPLATE: %.3f s, new space %s", took, mb(used));
        RESULTS.add(String.format(Locale.ROOT, "%-10s %-34s time %.3f s; new space %s (%.1f%% of parent)",
                mb(dbBytes), "CREATE DATABASE TEMPLATE", took, mb(used), 100.0 * used / dbBytes));
    }

    private static void measureBaseBackup(PgUrl main, Path root, Path pgBin, long dbBytes) throws Exception {
        Path target = root.resolve("bench-basebackup");
        long free = freeBytes(root);
        long started = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(pgBin.resolve("pg_basebackup").toString(), "-h", main.host(), "-p",
                        Integer.toString(main.port()), "-U", main.user(), "-D", target.toString(), "-X", "stream",
                        "-c", "fast")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PGPASSWORD", main.properties().getProperty("password"));
        Process p = pb.start();
        if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
            throw new IllegalStateException("pg_basebackup failed");
        }
        double took = seconds(started);
        long used = free - freeBytes(root);
        deleteTree(target);
        log("pg_basebackup: %.3f s, new space %s", took, mb(used));
        RESULTS.add(String.format(Locale.ROOT, "%-10s %-34s time %.3f s; new space %s (%.1f%% of parent)",
                mb(dbBytes), "pg_basebackup -X stream", took, mb(used), 100.0 * used / dbBytes));
    }

    private static void measureWake(BranchStore store, int round, int count) throws Exception {
        List<Double> times = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            String name = "r" + round + "-b" + i;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (store.find(name).orElseThrow().state() != BranchState.STOPPED) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " did not stop when idle");
                }
                Thread.sleep(50);
            }
            long started = System.nanoTime();
            queryLong(store.find(name).orElseThrow().url(), "SELECT 1");
            double took = seconds(started);
            times.add(took);
            log("wake %s on connect: %.3f s to the first answer", name, took);
        }
        RESULTS.add(String.format(Locale.ROOT, "%-10s %-34s time median %.3f s, max %.3f s",
                "", "wake on connect (x" + count + ")", median(times), Collections.max(times)));
    }

    /** Commits small transactions on main without pause, and keeps the slowest commit since it was last asked. */
    private static final class Writer implements Runnable {
        private final PgUrl url;
        volatile boolean stop;
        volatile long commits;
        private long maxNanos;

        Writer(PgUrl url) {
            this.url = url;
        }

        synchronized double takeMaxMillis() {
            double max = maxNanos / 1e6;
            maxNanos = 0;
            return max;
        }

        private synchronized void record(long nanos) {
            maxNanos = Math.max(maxNanos, nanos);
        }

        @Override
        public void run() {
            try (Connection c = connect(url); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS bench_writes (id bigserial PRIMARY KEY, at timestamptz DEFAULT now())");
                c.setAutoCommit(false);
                while (!stop) {
                    long started = System.nanoTime();
                    s.execute("INSERT INTO bench_writes DEFAULT VALUES");
                    c.commit();
                    record(System.nanoTime() - started);
                    commits++;
                }
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static long freeBytes(Path root) throws IOException {
        FileStore fs = Files.getFileStore(root);
        return fs.getUnallocatedSpace();
    }

    private static Connection connect(PgUrl url) throws SQLException {
        Properties p = url.properties();
        p.setProperty("connectTimeout", "30");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }

    private static void execute(PgUrl url, String... sql) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    private static long queryLong(PgUrl url, String sql) throws SQLException {
        try (Connection c = connect(url); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static long medianLong(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static String mb(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }

    private static void log(String format, Object... args) {
        System.out.println(String.format(Locale.ROOT, format, args));
        System.out.flush();
    }
}
