package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipelines a test runs at once (a Kafka producer and its consumers), each on a thread of its
 * own. Declared last in the test's try-with-resources, so that closing stops them before the
 * databases go (a database with an active slot cannot be dropped); the waits below rethrow a
 * pipeline's failure, so a test fails with the cause rather than with a timeout.
 * {@link Replication} is the fixture of one pipeline between two databases (schema, slot, clean-up);
 * this only runs pipelines the test built, several at once.
 */
final class RunningPipelines implements AutoCloseable {

    private final List<Pipeline> pipelines = new ArrayList<>();
    private final List<CompletableFuture<Void>> runs = new ArrayList<>();
    private int markers;

    Pipeline start(Pipeline pipeline) {
        pipelines.add(pipeline);
        runs.add(Replication.background(pipeline));
        return pipeline;
    }

    Pipeline startAndAwaitStreaming(Pipeline pipeline) throws Exception {
        start(pipeline);
        Replication.awaitStreaming(pipeline, runs.getLast());
        return pipeline;
    }

    /** Stops one pipeline, as a restart does, and fails with its failure if it had one. */
    void stop(Pipeline pipeline) throws Exception {
        int at = pipelines.indexOf(pipeline);
        pipeline.stop();
        runs.get(at).get(30, TimeUnit.SECONDS);
        pipelines.remove(at);
        runs.remove(at);
    }

    /** Fails with the failure of any pipeline that ended. */
    void rethrowFailures() throws Exception {
        for (CompletableFuture<Void> run : runs) {
            if (run.isDone()) {
                run.get();
            }
        }
    }

    /**
     * Commits a marker on the source and waits until every target has it: all before it is applied
     * there. Through Kafka, a marker proves only its own partition caught up.
     */
    void awaitCaughtUp(TestDatabase source, Duration timeout, PgUrl... targets) throws Exception {
        int id = ++markers;
        source.execute("INSERT INTO sluice_test_marker VALUES (" + id + ")");
        long deadline = System.nanoTime() + timeout.toNanos();
        for (PgUrl target : targets) {
            try (Connection c = DriverManager.getConnection(target.jdbcUrl(), target.properties())) {
                while (true) {
                    rethrowFailures();
                    if (Replication.hasMarker(sql -> queryForString(c, sql), id)) {
                        break;
                    }
                    assertThat(System.nanoTime())
                            .as("%s caught up within %s s", target.database(), timeout.toSeconds())
                            .isLessThan(deadline);
                    Thread.sleep(50);
                }
            }
        }
    }

    private static String queryForString(Connection c, String sql) {
        try (Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    /** Stops every pipeline; a failure of theirs that mattered was rethrown while the test ran. */
    @Override
    public void close() {
        pipelines.forEach(Pipeline::stop);
        for (CompletableFuture<Void> run : runs) {
            try {
                run.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // Reported by the waits above, or the test already failed for another reason.
            }
        }
    }
}
