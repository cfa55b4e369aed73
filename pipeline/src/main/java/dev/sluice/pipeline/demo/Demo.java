package dev.sluice.pipeline.demo;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.pipeline.ByteSizes;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.metrics.MetricsServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sluice end to end on one machine: two embedded PostgreSQL servers under a local directory, a
 * small shop schema, a write load on the source, and the pipeline streaming it to the target while
 * the console shows what is happening.
 */
public final class Demo implements AutoCloseable {

    private static final String DATABASE = "shop";

    private final Path directory;
    private final PrintWriter out;
    private LocalPostgres source;
    private LocalPostgres target;
    private Pipeline pipeline;
    private Thread pipelineThread;
    private ShopLoad load;
    private MetricsServer metrics;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile boolean stopped;

    public Demo(Path directory, PrintWriter out) {
        this.directory = directory;
        this.out = out;
    }

    /** Starts everything and prints how to watch it; returns once streaming has begun. */
    public void start(int metricsPort, int transactionsPerSecond) {
        FileTrees.delete(directory);
        // On Ctrl-C, stop the load and the pipeline before the servers (see close()).
        LocalPostgres.ownerStopsServersOnShutdown(Duration.ofSeconds(30));
        out.println("Starting embedded PostgreSQL servers under " + directory.toAbsolutePath() + " ...");
        out.println("The target starts empty: Sluice copies the shop's schema and rows, then streams changes.");
        source = LocalPostgres.builder(directory.resolve("source")).start();
        target = LocalPostgres.builder(directory.resolve("target")).start();
        createDatabase(source);
        createDatabase(target);
        PgUrl sourceUrl = source.url(DATABASE);
        PgUrl targetUrl = target.url(DATABASE);
        ShopSchema.create(sourceUrl);
        ShopSchema.seed(sourceUrl, 1_000, 3_000);
        // The target starts empty: `run` copies schema and rows under a snapshot, then streams.
        SluiceConfig config = config(sourceUrl, targetUrl, metricsPort);

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        pipeline = new Pipeline(config, registry);
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
        load = new ShopLoad(sourceUrl, transactionsPerSecond);
        load.start();

        out.println();
        out.println("Sluice demo is streaming. Try:");
        out.println("  psql '" + sourceUrl.toUrlWithPassword() + "'   # source (production)");
        out.println("  psql '" + targetUrl.toUrlWithPassword() + "'   # target (staging)");
        if (metrics != null) {
            out.println("  curl http://127.0.0.1:" + metrics.port() + "/metrics");
        }
        out.println("A write load of about " + transactionsPerSecond + " transactions/s runs on the source."
                + " Ctrl-C stops everything.");
        out.println();
    }

    private SluiceConfig config(PgUrl sourceUrl, PgUrl targetUrl, int metricsPort) {
        Map<Setting, String> flags = new EnumMap<>(Setting.class);
        flags.put(Setting.SOURCE_URL, sourceUrl.toUrlWithPassword());
        flags.put(Setting.TARGET_URL, targetUrl.toUrlWithPassword());
        flags.put(Setting.METRICS_PORT, String.valueOf(metricsPort));
        // The demo's copy takes a second; its own screen says what happens.
        flags.put(Setting.SNAPSHOT_PROGRESS, "none");
        return ConfigLoader.load(null, Map.of(), flags);
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
                    count(source, "customers"),
                    count(target, "customers"),
                    count(source, "orders"),
                    count(target, "orders"));
            out.flush();
        }
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public PgUrl sourceUrl() {
        return source.url(DATABASE);
    }

    public PgUrl targetUrl() {
        return target.url(DATABASE);
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
        if (target != null) {
            target.close();
        }
        if (source != null) {
            source.close();
        }
    }

    private static String count(LocalPostgres server, String table) {
        try (Connection c = server.jdbcConnection(DATABASE);
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
