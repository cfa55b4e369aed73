package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * While streaming, the target's sequences follow the source's, so staging can insert with default
 * ids next to the replicated rows without colliding.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SequenceFollowTest {

    private static final String SCHEMA = "CREATE TABLE orders (id bigserial PRIMARY KEY, note text)";

    @Test
    void stagingInsertsWithDefaultIdsDoNotCollideWithStreamedRows() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(SCHEMA)) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Pipeline pipeline =
                    new Pipeline(replication.config(Map.of(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "200ms")), registry);
            CompletableFuture<Void> run =
                    CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
            try {
                for (int round = 1; round <= 2; round++) {
                    source.execute("INSERT INTO orders (note) SELECT 'source' FROM generate_series(1, 100)");
                    replication.awaitCaughtUp(Duration.ofSeconds(30));
                    long maxId = Long.parseLong(target.queryForString("SELECT max(id) FROM orders"));
                    assertThat(maxId).isEqualTo(100L * round);
                    awaitNextIdAbove(target, maxId, Duration.ofSeconds(30));
                }
                target.execute("INSERT INTO orders (note) VALUES ('staging')");
                assertThat(target.queryForString("SELECT id FROM orders WHERE note = 'staging'"))
                        .isEqualTo("201");
                assertThat(registry.get("sluice_sequences_synced")
                                .functionCounter()
                                .count())
                        .isGreaterThanOrEqualTo(2);
            } finally {
                pipeline.stop();
                run.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void zeroIntervalLeavesSequencesAlone() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(SCHEMA)) {
            SluiceConfig config = replication.config(Map.of(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "0"));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            Pipeline pipeline = new Pipeline(config, registry);
            CompletableFuture<Void> run =
                    CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
            try {
                source.execute("INSERT INTO orders (note) SELECT 'source' FROM generate_series(1, 10)");
                replication.awaitCaughtUp(Duration.ofSeconds(30));
                SequenceFollower.afterSnapshot(config);
                assertThat(target.queryForString("SELECT is_called FROM orders_id_seq"))
                        .isEqualTo("f");
                assertThat(registry.find("sluice_sequences_synced").functionCounter())
                        .extracting(FunctionCounter::count)
                        .isEqualTo(0.0);
            } finally {
                pipeline.stop();
                run.get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFailingSyncIsReportedNotThrown() {
        SluiceConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        Setting.SOURCE_URL, "postgres://app:pw@127.0.0.1:1/app",
                        Setting.TARGET_URL, "postgres://stage:pw@127.0.0.1:1/stage"));
        AtomicLong synced = new AtomicLong();
        SequenceFollower follower = SequenceFollower.scheduled(config, synced);
        assertThatCode(() -> {
                    follower.syncOnce();
                    follower.syncOnce();
                    SequenceFollower.afterSnapshot(config);
                })
                .doesNotThrowAnyException();
        assertThat(synced).hasValue(0);
    }

    @Test
    void valuesFromKafkaMoveTargetSequencesUpOnlyAndAMissingOneIsNoFailure() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            target.execute(SCHEMA, "SELECT setval('orders_id_seq', 500)");
            AtomicLong synced = new AtomicLong();
            SequenceFollower follower = SequenceFollower.fromKafka(target.url(), synced);
            TableId orders = new TableId("public", "orders_id_seq");
            SequenceState gone = new SequenceState(new TableId("public", "gone_seq"), 9, true);

            follower.apply(List.of(new SequenceState(orders, 300, true), gone));
            assertThat(target.queryForString("SELECT last_value FROM orders_id_seq"))
                    .as("staging drew up to 500 itself: kept")
                    .isEqualTo("500");
            follower.apply(List.of(new SequenceState(orders, 800, true), gone));
            follower.apply(List.of(new SequenceState(orders, 800, true), gone));
            assertThat(target.queryForString("SELECT last_value FROM orders_id_seq"))
                    .isEqualTo("800");
            assertThat(synced).as("a record applied again moves nothing").hasValue(1);
        }
    }

    @Test
    void valuesFromKafkaForAnUnreachableTargetFailSoTheRecordIsReadAgain() {
        PgUrl nowhere = ConfigLoader.load(
                        null, Map.of(), Map.of(Setting.TARGET_URL, "postgres://stage:pw@127.0.0.1:1/stage"))
                .targetUrl();
        SequenceFollower follower = SequenceFollower.fromKafka(nowhere, new AtomicLong());
        assertThatThrownBy(() ->
                        follower.apply(List.of(new SequenceState(new TableId("public", "orders_id_seq"), 3, true))))
                .isInstanceOfSatisfying(
                        SluiceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.TARGET_UNREACHABLE));
    }

    /** Waits until the target's sequence would hand out an id above {@code maxId}. */
    private static void awaitNextIdAbove(TestDatabase target, long maxId, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String state = null;
        while (System.nanoTime() < deadline) {
            // Read without nextval, which would move the sequence itself.
            state = target.queryForString(
                    "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM orders_id_seq");
            if (Long.parseLong(state) > maxId) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(
                "target sequence did not pass " + maxId + " within " + timeout + " (next value " + state + ")");
    }
}
