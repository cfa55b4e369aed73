package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Kafka producer has no target to remember what anonymization learnt while streaming; its state
 * in Kafka does: a column or table renamed on the source keeps its rules after the producer
 * restarts, and a column added without a rule under strict mode neither stops the restart nor
 * ever carries its raw values into the topic.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaProducerRestartTest {

    /** Strict rules: the column added without a rule must not stop the restart. */
    private static final String RULES = DdlAnonymizationTest.RULES;

    private static final Keyring KEY = TestTransformers.keyring(TestTransformers.KEY_HEX);

    /** For a marker to travel through the topic to the target. */
    private static final Duration CAUGHT_UP = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void renamedColumnAndTableKeepTheirRulesAcrossProducerRestarts() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            renameThenRestart(running, source, target);
        }
    }

    private void renameThenRestart(RunningPipelines running, TestDatabase source, TestDatabase target)
            throws Exception {
        Producer producer = startProducerAndConsumer(running, source, target);

        source.execute(
                "ALTER TABLE users RENAME COLUMN name TO full_name",
                "ALTER TABLE users RENAME TO customers",
                "INSERT INTO customers VALUES (100, 'alice@example.com', 'alice')");
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());
        assertThat(target.queryForString("SELECT full_name FROM customers WHERE id = 100"))
                .isEqualTo("ALICE");

        // Twice: the restarted producer must carry what it was told on to its own commits.
        for (int restart = 1; restart <= 2; restart++) {
            producer = producer.restart(running);

            int id = 100 + restart;
            source.execute(
                    "INSERT INTO customers VALUES (" + id + ", 'u" + id + "@example.com', 'carol " + id + "')",
                    "UPDATE customers SET full_name = 'bob " + id + "' WHERE id = " + restart);
            running.awaitCaughtUp(source, CAUGHT_UP, target.url());

            assertThat(target.queryForString("SELECT full_name FROM customers WHERE id = " + id))
                    .as("a row inserted after restart %d: the renamed column keeps its rule", restart)
                    .isEqualTo("CAROL " + id);
            assertThat(target.queryForString("SELECT full_name FROM customers WHERE id = " + restart))
                    .isEqualTo("BOB " + id);
            assertThat(target.queryForString("SELECT email FROM customers WHERE id = " + id))
                    .as("the renamed table keeps its rules")
                    .isEqualTo(TestTransformers.hash(KEY, "email", "u" + id + "@example.com"));
        }
        assertThat(target.queryForString("SELECT count(*) FROM customers WHERE full_name IS NULL"))
                .as("rows whose renamed column lost its values")
                .isEqualTo("0");
    }

    @Test
    void columnAddedWithoutARuleDoesNotStopAProducerRestartAndStaysWithoutValues() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            addColumnThenRestart(running, source, target);
        }
    }

    private void addColumnThenRestart(RunningPipelines running, TestDatabase source, TestDatabase target)
            throws Exception {
        Producer producer = startProducerAndConsumer(running, source, target);

        source.execute(
                "ALTER TABLE users ADD COLUMN phone text",
                "INSERT INTO users VALUES (100, 'alice@example.com', 'alice', 'PHONE-SECRET-100')");
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());
        assertThat(target.queryForString("SELECT phone IS NULL FROM users WHERE id = 100"))
                .isEqualTo("t");

        producer.restart(running);

        source.execute(
                "INSERT INTO users VALUES (101, 'carol@example.com', 'carol', 'PHONE-SECRET-101')",
                "UPDATE users SET phone = 'PHONE-SECRET-' || id WHERE id <= 10");
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());

        assertThat(target.queryForString("SELECT count(*) FROM users WHERE users::text LIKE '%SECRET%'"))
                .as("rows on the target carrying a raw value of the column without a rule")
                .isEqualTo("0");
        assertThat(target.queryForString("SELECT name FROM users WHERE id = 101"))
                .isEqualTo("CAROL");
        assertThat(target.queryForString("SELECT count(*) FROM users")).isEqualTo("22");
    }

    @Test
    void producerWhoseStateKafkaExpiredRefusesASecondInitialCopyAndKeepsTheSlot() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("state-expired", 1);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            source.execute("CREATE TABLE users (id int PRIMARY KEY, name text)", "INSERT INTO users VALUES (1, 'a')");
            Map<Setting, String> producer = KafkaFlags.producer(KafkaFlags.common(kafka, topic), source.url());
            running.stop(running.startAndAwaitStreaming(KafkaFlags.anonymizing(producer)));
            String slotBefore = source.queryForString("SELECT restart_lsn FROM pg_replication_slots");
            // What offsets.retention.minutes does to a group that committed nothing for that long.
            try (Admin admin = kafka.admin()) {
                admin.deleteConsumerGroups(List.of(KafkaTopic.producerGroup(topic)))
                        .all()
                        .get();
            }

            assertThatThrownBy(() -> KafkaFlags.anonymizing(producer).run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("Kafka topic " + topic + " holds a change stream, but its producer's state")
                    .hasMessageContaining("will not publish a second initial copy");
            assertThat(source.queryForString("SELECT restart_lsn FROM pg_replication_slots"))
                    .as("the slot, and with it the changes since the state was last committed, is kept")
                    .isEqualTo(slotBefore);
        }
    }

    @Test
    void producerWhoseInitialCopyWasAbortedPublishesItAgain() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("copy-aborted", 1);
        // What a producer killed during its initial copy leaves: records of a transaction never committed.
        Map<String, Object> props = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrap(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "aborted-" + topic);
        try (KafkaProducer<byte[], byte[]> aborted =
                new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            aborted.initTransactions();
            aborted.beginTransaction();
            aborted.send(new ProducerRecord<>(topic, 0, null, new byte[100])).get();
            aborted.abortTransaction();
        }
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            source.execute(
                    "CREATE TABLE users (id int PRIMARY KEY, name text)",
                    Replication.MARKER_DDL,
                    "INSERT INTO users VALUES (1, 'a')");
            Map<Setting, String> common = KafkaFlags.common(kafka, topic);
            running.startAndAwaitStreaming(KafkaFlags.anonymizing(KafkaFlags.producer(common, source.url())));
            running.startAndAwaitStreaming(KafkaFlags.anonymizing(KafkaFlags.consumer(common, target.url(), "g")));
            running.awaitCaughtUp(source, CAUGHT_UP, target.url());
            assertThat(target.queryForString("SELECT name FROM users WHERE id = 1"))
                    .isEqualTo("a");
        }
    }

    /**
     * Creates the schema and rows, starts a producer (initial copy into a new topic) and a consumer
     * applying the topic to {@code target}; returns the producer.
     */
    private Producer startProducerAndConsumer(RunningPipelines running, TestDatabase source, TestDatabase target)
            throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("producer-restart", 1);
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        source.execute(
                "CREATE TABLE users (id int PRIMARY KEY, email text, name text)",
                Replication.MARKER_DDL,
                "INSERT INTO users SELECT i, 'user' || i || '@example.com', 'name ' || i FROM generate_series(1, 20) i");
        Map<Setting, String> common = KafkaFlags.common(kafka, topic);
        Map<Setting, String> producer = KafkaFlags.producer(common, source.url());
        producer.put(Setting.TRANSFORM_FILE, rules.toString());
        Pipeline pipeline = running.startAndAwaitStreaming(KafkaFlags.anonymizing(producer));
        running.startAndAwaitStreaming(KafkaFlags.anonymizing(KafkaFlags.consumer(common, target.url(), "staging")));
        running.awaitCaughtUp(source, CAUGHT_UP, target.url());
        assertThat(target.queryForString("SELECT name FROM users WHERE id = 1")).isEqualTo("NAME 1");
        return new Producer(producer, pipeline);
    }

    /** A running producer and the settings it restarts with. */
    private record Producer(Map<Setting, String> flags, Pipeline pipeline) {
        /** Stops it, waiting for it to end cleanly, and starts it again. */
        Producer restart(RunningPipelines running) throws Exception {
            running.stop(pipeline);
            return new Producer(flags, running.startAndAwaitStreaming(KafkaFlags.anonymizing(flags)));
        }
    }
}
