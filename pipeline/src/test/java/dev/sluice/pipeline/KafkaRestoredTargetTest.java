package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A target restored from a backup holds less than its consumer group committed: the group's offset
 * would skip what the backup lacks, so the consumer reads the topic from its beginning instead, or
 * refuses when the topic no longer holds it.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaRestoredTargetTest {

    private static final Duration CAUGHT_UP = Duration.ofSeconds(60);

    @Test
    void aTargetRestoredFromABackupGetsWhatItLacksFromTheTopic() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("restored", 1);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                TestDatabase backup = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            Map<Setting, String> common = streamPastABackup(kafka, topic, running, source, target, backup);

            running.startAndAwaitStreaming(
                    KafkaFlags.anonymizing(KafkaFlags.consumer(common, backup.url(), "staging")));
            source.execute("INSERT INTO users VALUES (21, 'after the restore')");
            running.awaitCaughtUp(source, CAUGHT_UP, backup.url());

            assertThat(backup.queryForString("SELECT count(*) FROM users")).isEqualTo("21");
            assertThat(backup.tableChecksum("users"))
                    .as("the restored target, against the source")
                    .isEqualTo(source.tableChecksum("users"));
        }
    }

    @Test
    void aRestoredTargetIsRefusedWhenTheTopicNoLongerHoldsWhatItLacks() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("restored-gone", 1);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                TestDatabase backup = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            Map<Setting, String> common = streamPastABackup(kafka, topic, running, source, target, backup);
            try (Admin admin = kafka.admin()) {
                TopicPartition partition = new TopicPartition(topic, 0);
                long end = admin.listOffsets(Map.of(partition, org.apache.kafka.clients.admin.OffsetSpec.latest()))
                        .partitionResult(partition)
                        .get()
                        .offset();
                // What a time-limited retention does to the oldest records.
                admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(end)))
                        .all()
                        .get();
            }

            assertThatThrownBy(() -> KafkaFlags.anonymizing(KafkaFlags.consumer(common, backup.url(), "staging"))
                            .run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("consumer group staging committed it up to")
                    .hasMessageContaining("the target was restored or replaced")
                    .hasMessageContaining("no longer holds that partition's beginning")
                    .hasMessageContaining("restore a newer backup, or rebuild the target from a new topic")
                    .satisfies(e -> assertThat(((SluiceException) e).reason()).isEqualTo(Reason.APPLY));
            assertThat(backup.queryForString("SELECT count(*) FROM users"))
                    .as("rows of the backup: nothing applied past the gap")
                    .isEqualTo("10");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String others = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND pid <> pg_backend_pid()";
            while (!"0".equals(backup.queryForString(others)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(backup.queryForString(others))
                    .as("sessions the refused consumer left open on the target")
                    .isEqualTo("0");
        }
    }

    /**
     * Publishes {@code users} to the topic, has group {@code staging} apply it to {@code target},
     * copies the target into {@code backup} (by {@code CREATE DATABASE ... TEMPLATE}), then lets
     * the group apply ten inserts and five updates more to the target and stop.
     */
    private static Map<Setting, String> streamPastABackup(
            TestKafka kafka,
            String topic,
            RunningPipelines running,
            TestDatabase source,
            TestDatabase target,
            TestDatabase backup)
            throws Exception {
        source.execute(
                "CREATE TABLE users (id int PRIMARY KEY, name text)",
                Replication.MARKER_DDL,
                "INSERT INTO users SELECT i, 'before the backup ' || i FROM generate_series(1, 10) i");
        Map<Setting, String> common = KafkaFlags.common(kafka, topic);
        running.startAndAwaitStreaming(KafkaFlags.anonymizing(KafkaFlags.producer(common, source.url())));
        Map<Setting, String> consumer = KafkaFlags.consumer(common, target.url(), "staging");
        Pipeline applying = running.startAndAwaitStreaming(KafkaFlags.anonymizing(consumer));
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());
        running.stop(applying);

        copy(target, backup);

        applying = running.startAndAwaitStreaming(KafkaFlags.anonymizing(consumer));
        source.execute(
                "INSERT INTO users SELECT i, 'after the backup ' || i FROM generate_series(11, 20) i",
                "UPDATE users SET name = 'changed after the backup' WHERE id <= 5");
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());
        running.stop(applying);
        return common;
    }

    /** Replaces {@code copy} with a copy of {@code original}, which nothing may be connected to. */
    private static void copy(TestDatabase original, TestDatabase copy) throws Exception {
        try (Connection c = original.server().connect("postgres");
                Statement s = c.createStatement()) {
            s.execute("DROP DATABASE " + TableId.quoteIdent(copy.name()));
            s.execute("CREATE DATABASE " + TableId.quoteIdent(copy.name()) + " TEMPLATE "
                    + TableId.quoteIdent(original.name()));
        }
        assertThat(copy.queryForString("SELECT count(*) FROM users")).isEqualTo("10");
    }
}
