package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * A source and a target database with the same schema, a slot and publication on the source, and
 * a pipeline streaming between them on a background thread: the fixture of the streaming tests.
 */
final class Replication implements AutoCloseable {

    static final String MARKER_DDL = "CREATE TABLE sluice_test_marker (id int PRIMARY KEY)";

    final TestDatabase source;
    final TestDatabase target;
    private Pipeline pipeline;
    private Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private int markers;

    Replication(TestDatabase source, TestDatabase target) {
        this.source = source;
        this.target = target;
    }

    /** Creates the schema on both sides (plus the marker table) and runs init on the source. */
    Replication schema(String... ddl) {
        List<String> all = new ArrayList<>(List.of(ddl));
        all.add(MARKER_DDL);
        source.execute(all.toArray(String[]::new));
        target.execute(all.toArray(String[]::new));
        try (SourceAdmin admin = SourceAdmin.connect(source.url())) {
            admin.init(config(Map.of()).tables(), "sluice", "sluice", true);
        }
        return this;
    }

    SluiceConfig config(Map<Setting, String> extra) {
        Map<Setting, String> flags = new EnumMap<>(Setting.class);
        flags.put(Setting.SOURCE_URL, source.url().toUrlWithPassword());
        flags.put(Setting.TARGET_URL, target.url().toUrlWithPassword());
        flags.put(Setting.METRICS_PORT, "0");
        // The schema is made by the test itself: stream only.
        flags.put(Setting.SNAPSHOT_MODE, "none");
        flags.putAll(extra);
        return ConfigLoader.load(null, Map.of(), flags);
    }

    Replication start() {
        return start(Map.of());
    }

    Replication start(Map<Setting, String> extra) {
        return start(new Pipeline(config(extra), new SimpleMeterRegistry()));
    }

    /** Runs a pipeline the test built itself (its own settings, transformers or registry) in place of this one's. */
    Replication start(Pipeline pipeline) {
        this.pipeline = pipeline;
        thread = new Thread(
                () -> {
                    try {
                        pipeline.run();
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                },
                "pipeline-under-test");
        thread.start();
        return this;
    }

    /** Waits until the pipeline streams: a marker row alone could have been copied by a snapshot before the rest. */
    Replication awaitStreaming() throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (pipeline.state() != Pipeline.State.STREAMING) {
            rethrow();
            assertThat(System.nanoTime()).as("streaming within a minute").isLessThan(deadline);
            Thread.sleep(50);
        }
        return this;
    }

    Pipeline pipeline() {
        return pipeline;
    }

    /** Stops the pipeline gracefully and waits for it. */
    void stop() {
        if (pipeline != null) {
            pipeline.stop();
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("pipeline thread stopped").isFalse();
            pipeline = null;
        }
        rethrow();
    }

    /** The pipeline's failure, which no longer fails the test: it was expected. */
    Throwable takeFailure() {
        Throwable t = failure.getAndSet(null);
        assertThat(t).as("the pipeline failed").isNotNull();
        pipeline = null;
        return t;
    }

    /** Fails with the pipeline's failure, if it failed (also while it was still preparing the target). */
    void rethrow() {
        Throwable t = failure.get();
        if (t != null) {
            throw new AssertionError("pipeline failed: " + t.getMessage(), t);
        }
    }

    /** Commits a marker on the source and waits until the target has it: everything before it is applied. */
    void awaitCaughtUp(Duration timeout) throws InterruptedException {
        int id = ++markers;
        source.execute("INSERT INTO sluice_test_marker VALUES (" + id + ")");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            rethrow();
            if (hasMarker(target::queryForString, id)) {
                return;
            }
            Thread.sleep(50);
        }
        rethrow();
        throw new AssertionError("target did not catch up within " + timeout);
    }

    /** Whether a database, read by the query, has the marker: the table may not exist yet while a snapshot creates it. */
    static boolean hasMarker(UnaryOperator<String> query, int id) {
        return query.apply("SELECT count(*) FROM pg_tables WHERE tablename = 'sluice_test_marker'")
                        .equals("1")
                && query.apply("SELECT count(*) FROM sluice_test_marker WHERE id = " + id)
                        .equals("1");
    }

    /** Every listed table holds the same rows, compared by a checksum of each row's text. */
    void assertSameData(String... tables) {
        for (String table : tables) {
            assertThat(target.tableChecksum(table))
                    .as(
                            "checksum of %s (source has %s rows, target %s)",
                            table, count(source, table), count(target, table))
                    .isEqualTo(source.tableChecksum(table));
        }
    }

    private static String count(TestDatabase db, String table) {
        return db.queryForString("SELECT count(*) FROM " + table);
    }

    static long count(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Runs a pipeline on a thread of its own. */
    static CompletableFuture<Void> background(Pipeline pipeline) {
        return CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
    }

    /** Waits until the pipeline streams: a marker row alone could have been copied by a snapshot before the rest. */
    static void awaitStreaming(Pipeline pipeline, CompletableFuture<Void> run) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (pipeline.state() != Pipeline.State.STREAMING) {
            if (run.isDone()) {
                run.get();
            }
            assertThat(System.nanoTime()).as("streaming within a minute").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    static PgUrl withoutPassword(PgUrl url) {
        return url.withCredentials(url.user(), null);
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            try (SourceAdmin admin = SourceAdmin.connect(source.url())) {
                admin.destroy("sluice", "sluice");
            } catch (RuntimeException ignored) {
                // The database is dropped with the test anyway.
            }
        }
    }
}
