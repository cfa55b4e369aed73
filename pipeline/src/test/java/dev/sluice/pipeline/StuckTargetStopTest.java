package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A SIGTERM while the target holds the sink's write behind a lock: the process must not wait for
 * the lock forever (an orchestrator would end it with SIGKILL and no word), but exit after {@code
 * shutdown.timeout} with code 1 and say why; and the next run applies what the stopped one could not.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StuckTargetStopTest {

    @Test
    void aStopHeldUpByATargetLockExitsAfterTheShutdownTimeoutAndTheNextRunLosesNothing() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication =
                        new Replication(source, target).schema("CREATE TABLE items (id int PRIMARY KEY, v text)")) {
            Map<String, String> env = new HashMap<>(SluiceProcess.streamOnly(source, target));
            env.put("SLUICE_SHUTDOWN_TIMEOUT", "2s");

            try (Connection locker = target.connect()) {
                locker.setAutoCommit(false);
                try (Statement st = locker.createStatement()) {
                    st.execute("LOCK TABLE items IN ACCESS EXCLUSIVE MODE");
                }
                try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                    source.execute("INSERT INTO items VALUES (1, 'behind the lock')");
                    awaitWriterBlocked(target, sluice);

                    long stopping = System.nanoTime();
                    int exitCode = sluice.terminate();
                    long tookMillis = (System.nanoTime() - stopping) / 1_000_000;

                    assertThat(exitCode).as(sluice.output()).isEqualTo(1);
                    assertThat(sluice.output()).contains("Stopping did not finish within 2 s");
                    assertThat(tookMillis).as("time from SIGTERM to exit").isLessThan(30_000);
                }
                locker.rollback();
            }

            assertThat(target.queryForString("SELECT count(*) FROM items")).isEqualTo("0");
            try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                replication.awaitCaughtUp(Duration.ofMinutes(1));
                assertThat(sluice.terminate())
                        .as("a stop with nothing holding it up")
                        .isZero();
            }
            replication.assertSameData("items");
        }
    }

    /** Sluice's target backend waits for the test's lock once it writes the row. */
    private static void awaitWriterBlocked(TestDatabase target, SluiceProcess sluice) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (target.queryForList("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND wait_event_type = 'Lock'")
                .isEmpty()) {
            assertThat(sluice.isAlive()).as(sluice.output()).isTrue();
            assertThat(System.nanoTime())
                    .as("sluice's write waits for the lock; output:%n%s", sluice.output())
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
