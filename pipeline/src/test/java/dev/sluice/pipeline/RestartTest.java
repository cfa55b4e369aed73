package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `sluice run` killed with SIGKILL at arbitrary moments while the source keeps writing, including
 * after the target committed but before the slot heard of it, loses nothing and applies nothing
 * twice; a SIGTERM stops it cleanly with exit code 0.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class RestartTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
        // No key: a transaction applied twice would leave visible duplicate rows here.
        "CREATE TABLE ledger (account int, amount bigint, note text)",
        "ALTER TABLE ledger REPLICA IDENTITY FULL"
    };

    @Test
    void killedAnywhereResumesWithoutLossOrDuplicate() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(SCHEMA)) {
            source.execute("INSERT INTO accounts SELECT i, 0 FROM generate_series(1, 100) i");
            Map<String, String> env = SluiceProcess.streamOnly(source, target);
            String password = source.url().properties().getProperty("password");

            try (Workload workload = new MoneyWorkload(source)) {
                workload.start();
                Lsn applied = Lsn.INVALID;
                for (int round = 0; round < 3; round++) {
                    // A long status interval keeps the slot unacknowledged: every kill lands between the
                    // target's commit and the slot's acknowledgement.
                    try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run", "--status-interval", "1h")) {
                        applied = awaitTargetPast(target, applied, sluice);
                        Thread.sleep(ThreadLocalRandom.current().nextInt(50, 400));
                        sluice.kill9();
                        assertThat(sluice.output()).doesNotContain(password);
                    }
                    Lsn confirmed = slotConfirmed(source);
                    Lsn onTarget = PostgresSink.applied(target.url(), "sluice")
                            .orElseThrow()
                            .endLsn();
                    assertThat(confirmed)
                            .as("slot acknowledged less than the target holds")
                            .isLessThan(onTarget);
                }
                // Killed again right after start, before or during its first transactions.
                try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                    Thread.sleep(ThreadLocalRandom.current().nextInt(200, 1500));
                    sluice.kill9();
                }
                try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                    awaitTargetPast(target, applied, sluice);
                    workload.stopAndCheck();
                    replication.awaitCaughtUp(Duration.ofMinutes(1));
                    assertThat(sluice.terminate()).as("exit code after SIGTERM").isZero();
                    assertThat(sluice.output()).contains("Stopped.").doesNotContain(password);
                }
            }
            replication.assertSameData("accounts", "ledger");
            assertThat(target.queryForString("SELECT count(*) FROM ledger"))
                    .isEqualTo(source.queryForString("SELECT count(*) FROM ledger"));
        }
    }

    private static Lsn awaitTargetPast(TestDatabase target, Lsn previous, SluiceProcess sluice) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(sluice.isAlive())
                    .as("sluice is running; output:%n%s", sluice.output())
                    .isTrue();
            Optional<PostgresSink.Applied> applied = PostgresSink.applied(target.url(), "sluice");
            if (applied.isPresent() && applied.get().endLsn().isAfter(previous)) {
                return applied.get().endLsn();
            }
            Thread.sleep(20);
        }
        throw new AssertionError("target did not advance; output:\n" + sluice.output());
    }

    private static Lsn slotConfirmed(TestDatabase source) {
        try (SourceAdmin admin = SourceAdmin.connect(source.url())) {
            return admin.slot("sluice").orElseThrow().confirmedFlush();
        }
    }
}
