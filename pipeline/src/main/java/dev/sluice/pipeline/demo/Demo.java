package dev.sluice.pipeline.demo;

import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.BranchStore;
import dev.sluice.branching.StoreOptions;
import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.pipeline.ByteSizes;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.api.ApiServer;
import dev.sluice.pipeline.api.ListenAddress;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.metrics.MetricsServer;
import dev.sluice.pipeline.metrics.StoreMeters;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.TransformerRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sluice end to end on one machine: an embedded source PostgreSQL and a branch store under a local
 * directory, a small shop schema, a write load on the source, and the pipeline streaming it into
 * the store's main while the console shows what is happening; then a branch of main, with its own
 * connection string, and the branch API to make more. Customers' personal data is anonymized in flight by the
 * demo's rules ({@code transform.yaml}, copied into the demo directory) under a key generated for
 * this demo alone and stored beside them ({@code demo.key}): a demo key, not a secret.
 */
public final class Demo implements AutoCloseable {

    private static final String DATABASE = "shop";
    private static final String RULES = "transform.yaml";
    private static final String KEY = "demo.key";
    /** Customers shown on both sides once the copy is done. */
    private static final int SHOWN = 3;

    private final Path directory;
    private final PrintWriter out;
    private LocalPostgres source;
    private BranchStore store;
    private ApiServer api;
    private Pipeline pipeline;
    private Thread pipelineThread;
    private ShopLoad load;
    private MetricsServer metrics;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;
    private TransformerRegistry transformers = TransformerRegistry.builtins();

    public Demo(Path directory, PrintWriter out) {
        this.directory = directory;
        this.out = out;
    }

    /** Uses these transformers instead of the built-in ones (tests). */
    Demo transformers(TransformerRegistry registry) {
        this.transformers = registry;
        return this;
    }

    /** Starts everything and prints how to watch it; returns once streaming has begun. */
    public void start(int metricsPort, int transactionsPerSecond) {
        FileTrees.delete(directory);
        // On Ctrl-C, stop the load and the pipeline before the servers (see close()).
        LocalPostgres.ownerStopsServersOnShutdown(Duration.ofSeconds(30));
        out.println("Starting an embedded PostgreSQL source and a branch store under " + directory.toAbsolutePath()
                + " ...");
        out.println("The store's main starts empty: Sluice copies the shop's schema and rows, then streams changes.");
        source = LocalPostgres.builder(directory.resolve("source")).start();
        createDatabase(source);
        store = BranchStore.open(
                directory.resolve("store"), StoreOptions.defaults().withDatabase(DATABASE));
        PgUrl sourceUrl = source.url(DATABASE);
        PgUrl targetUrl = store.mainWriterUrl();
        ShopSchema.create(sourceUrl);
        ShopSchema.seed(sourceUrl, 1_000, 3_000);
        Path rules = writeRules();
        Path key = writeDemoKey();
        out.println("Anonymizing customers in flight with " + rules.toAbsolutePath() + ", under a DEMO key generated"
                + " for this demo only (" + key.toAbsolutePath() + "): not a secret. A real deployment keeps its own"
                + " key in SLUICE_KEY or SLUICE_KEY_FILE.");
        // The target starts empty: `run` copies schema and rows under a snapshot, then streams.
        SluiceConfig config = config(sourceUrl, targetUrl, metricsPort, rules);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StoreMeters.bind(registry, store);
        pipeline = new Pipeline(config, registry, false, Map.of(Keyring.KEY_FILE_ENV, key.toString()))
                .transformers(transformers);
        pipelineThread = new Thread(this::runPipeline, "sluice-pipeline");
        pipelineThread.start();
        if (metricsPort > 0) {
            metrics = MetricsServer.start(
                    "127.0.0.1",
                    metricsPort,
                    registry,
                    () -> new MetricsServer.Health(
                            pipeline.state() == Pipeline.State.STREAMING,
                            pipeline.state().name().toLowerCase()));
        }
        awaitStreaming();
        showCustomers();
        load = new ShopLoad(sourceUrl, transactionsPerSecond);
        load.start();
        Branch branch = createBranch();
        String token = HexFormat.of().formatHex(randomBytes(16));
        api = ApiServer.start(new ListenAddress("127.0.0.1", 0), token, store);

        out.println();
        out.println("Sluice demo is streaming. Try:");
        out.println("  psql '" + sourceUrl.toUrlWithPassword() + "'   # source (production)");
        out.println("  psql '" + targetUrl.toUrlWithPassword() + "'   # main, the anonymized replica");
        out.println(
                "  psql '" + branch.url().toUrlWithPassword() + "'   # branch '" + branch.name() + "': yours to write");
        out.println("  export SLUICE_API_URL=http://127.0.0.1:" + api.port() + " SLUICE_API_TOKEN=" + token);
        out.println("  bin/sluice branch create my-feature   # another branch of main, in about a second");
        if (metrics != null) {
            out.println("  curl http://127.0.0.1:" + metrics.port() + "/metrics");
        }
        out.println("A write load of about " + transactionsPerSecond + " transactions/s runs on the source."
                + " Ctrl-C stops everything.");
        out.println();
    }

    /** A branch of main, timed: the point of the store. */
    private Branch createBranch() {
        long start = System.nanoTime();
        Branch branch = store.create(BranchSpec.of("demo"));
        out.printf(
                "%nCreated branch '%s' of main in %.2f s (%s).%n",
                branch.name(),
                (System.nanoTime() - start) / 1e9,
                branch.copyOnWrite()
                        ? "copy-on-write: it costs only the blocks it changes"
                        : "a full copy: this filesystem cannot clone files; on XFS with reflink, btrfs or ZFS a"
                                + " branch costs only the blocks it changes");
        return branch;
    }

    private SluiceConfig config(PgUrl sourceUrl, PgUrl targetUrl, int metricsPort, Path rules) {
        Map<Setting, String> flags = new EnumMap<>(Setting.class);
        flags.put(Setting.TRANSFORM_FILE, rules.toString());
        flags.put(Setting.SOURCE_URL, sourceUrl.toUrlWithPassword());
        flags.put(Setting.TARGET_URL, targetUrl.toUrlWithPassword());
        flags.put(Setting.METRICS_PORT, String.valueOf(metricsPort));
        // The demo's copy takes a second; its own screen says what happens.
        flags.put(Setting.SNAPSHOT_PROGRESS, "none");
        return ConfigLoader.load(null, Map.of(), flags);
    }

    /** The demo's rules, copied where a person can read and change them. */
    private Path writeRules() {
        Path file = directory.resolve(RULES);
        try (InputStream in = Demo.class.getResourceAsStream(RULES)) {
            if (in == null) {
                throw new IllegalStateException("the demo's " + RULES + " is missing from the jar");
            }
            Files.copy(in, file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /** A fresh key for this demo directory: a demo key, never a real one. */
    private Path writeDemoKey() {
        byte[] key = randomBytes(32);
        Path file = directory.resolve(KEY);
        try {
            Files.writeString(file, HexFormat.of().formatHex(key) + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    private static byte[] randomBytes(int n) {
        byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }

    /** Waits for the copy to finish and streaming to begin. */
    private void awaitStreaming() {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (pipeline.state() != Pipeline.State.STREAMING) {
            Throwable t = failure.get();
            if (t != null) {
                throw new IllegalStateException("the pipeline stopped: " + t.getMessage(), t);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the demo's copy did not finish within 2 minutes");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the copy", e);
            }
        }
    }

    /** A few customers as the source holds them, each next to the same row on the target. */
    private void showCustomers() {
        String sql = "SELECT id, first_name, last_name, email, phone, city FROM customers ORDER BY id LIMIT " + SHOWN;
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"", "id", "first_name", "last_name", "email", "phone", "city"});
        List<String[]> src = rows(sourceUrl(), sql);
        List<String[]> dst = rows(targetUrl(), sql);
        for (int i = 0; i < src.size(); i++) {
            rows.add(prepend("source", src.get(i)));
            if (i < dst.size()) {
                rows.add(prepend("main", dst.get(i)));
            }
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        out.println();
        out.println("The same customers on both sides (ids pass through, so orders still join):");
        for (String[] r : rows) {
            StringBuilder b = new StringBuilder("  ");
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]).append(" ".repeat(width[i] - r[i].length() + 2));
            }
            out.println(b.toString().stripTrailing());
        }
    }

    private static String[] prepend(String first, String[] rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static List<String[]> rows(PgUrl db, String sql) {
        List<String[]> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.properties());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                String[] row = new String[n];
                for (int i = 0; i < n; i++) {
                    row[i] = String.valueOf(rs.getString(i + 1));
                }
                rows.add(row);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the demo's customers: " + e.getMessage(), e);
        }
        return rows;
    }

    private void runPipeline() {
        try {
            pipeline.run();
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    /** Prints a status line every {@code interval} until {@link #stop} or {@code duration} elapsed. */
    public void report(Duration interval, Duration duration) throws InterruptedException {
        long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        long lastRows = 0;
        long lastTime = System.nanoTime();
        while (!stopped && System.nanoTime() < end) {
            Thread.sleep(Math.min(interval.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            Throwable t = failure.get();
            if (t != null) {
                throw new IllegalStateException("the pipeline stopped: " + t.getMessage(), t);
            }
            long rows = pipeline.sinkStats().rowsApplied.get();
            long now = System.nanoTime();
            double rate = (rows - lastRows) / ((now - lastTime) / 1e9);
            lastRows = rows;
            lastTime = now;
            out.printf(
                    "rows replicated %,d (%,.0f/s) | transactions %,d | lag %.2f s, %s | customers %s -> %s,"
                            + " orders %s -> %s%n",
                    rows,
                    rate,
                    pipeline.sinkStats().transactionsApplied.get(),
                    pipeline.lagSeconds(),
                    ByteSizes.format(pipeline.lagBytes()),
                    count(sourceUrl(), "customers"),
                    count(targetUrl(), "customers"),
                    count(sourceUrl(), "orders"),
                    count(targetUrl(), "orders"));
            out.flush();
        }
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public PgUrl sourceUrl() {
        return source.url(DATABASE);
    }

    /** The store's main, where the pipeline writes. */
    public PgUrl targetUrl() {
        return store.mainWriterUrl();
    }

    /** The store the demo runs on. */
    public BranchStore store() {
        return store;
    }

    /** Stops the write load on the source; the pipeline keeps streaming. */
    public void stopLoad() {
        if (load != null) {
            load.stop();
        }
    }

    /** Stops the load, lets the pipeline apply what is in flight, and stops it. */
    public void stop() {
        stopped = true;
        stopLoad();
        if (pipeline != null) {
            pipeline.stop();
            try {
                pipelineThread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops everything, servers included; the data directory stays for inspection until the next demo. */
    @Override
    public void close() {
        stop();
        if (metrics != null) {
            metrics.close();
        }
        if (api != null) {
            api.close();
        }
        if (store != null) {
            store.close();
        }
        if (source != null) {
            source.close();
        }
    }

    private static String count(PgUrl db, String table) {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.properties());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return String.format("%,d", rs.getLong(1));
        } catch (SQLException e) {
            return "?";
        }
    }

    private static void createDatabase(LocalPostgres server) {
        try (Connection c = server.jdbcConnection("postgres");
                Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + DATABASE);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the demo database: " + e.getMessage(), e);
        }
    }
}
