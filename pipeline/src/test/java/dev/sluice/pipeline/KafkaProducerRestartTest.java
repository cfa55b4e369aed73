package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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

    private static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: users
                  column_transformers:
                    id: noop
                    email:
                      name: test_hash
                      domain: email
                    name: test_upper
                - table: sluice_test_marker
                  column_transformers:
                    id: noop
            """;

    private static final Keyring KEY = TestTransformers.keyring(TestTransformers.KEY_HEX);

    @TempDir
    Path dir;

    private final List<Pipeline> pipelines = new ArrayList<>();
    private final List<CompletableFuture<Void>> running = new ArrayList<>();
    private int markers;

    /** Stops every pipeline before the databases go (a database with an active slot cannot be dropped). */
    private void stopAll() {
        pipelines.forEach(Pipeline::stop);
        for (CompletableFuture<Void> run : running) {
            try {
                run.get(60, TimeUnit.SECONDS);
            } catch (Exception e) {
                // A failure that mattered was rethrown while the test ran.
            }
        }
    }

    @Test
    void renamedColumnAndTableKeepTheirRulesAcrossProducerRestarts() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            try {
                renameThenRestart(source, target);
            } finally {
                stopAll();
            }
        }
    }

    private void renameThenRestart(TestDatabase source, TestDatabase target) throws Exception {
        Map<Setting, String> producer = start(source, target);

        source.execute(
                "ALTER TABLE users RENAME COLUMN name TO full_name",
                "ALTER TABLE users RENAME TO customers",
                "INSERT INTO customers VALUES (100, 'alice@example.com', 'alice')");
        awaitCaughtUp(source, target);
        assertThat(target.queryForString("SELECT full_name FROM customers WHERE id = 100"))
                .isEqualTo("ALICE");

        // Twice: the restarted producer must carry what it was told on to its own commits.
        for (int restart = 1; restart <= 2; restart++) {
            Pipeline stopped = pipelines.get(0);
            stopped.stop();
            running.get(0).get(30, TimeUnit.SECONDS);
            pipelines.remove(0);
            running.remove(0);
            startAndAwaitStreaming(producer, 0);

            int id = 100 + restart;
            source.execute(
                    "INSERT INTO customers VALUES (" + id + ", 'u" + id + "@example.com', 'carol " + id + "')",
                    "UPDATE customers SET full_name = 'bob " + id + "' WHERE id = " + restart);
            awaitCaughtUp(source, target);

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
                TestDatabase target = TestPostgres.server().createDatabase()) {
            try {
                addColumnThenRestart(source, target);
            } finally {
                stopAll();
            }
        }
    }

    private void addColumnThenRestart(TestDatabase source, TestDatabase target) throws Exception {
        Map<Setting, String> producer = start(source, target);

        source.execute(
                "ALTER TABLE users ADD COLUMN phone text",
                "INSERT INTO users VALUES (100, 'alice@example.com', 'alice', 'PHONE-SECRET-100')");
        awaitCaughtUp(source, target);
        assertThat(target.queryForString("SELECT phone IS NULL FROM users WHERE id = 100"))
                .isEqualTo("t");

        pipelines.get(0).stop();
        running.get(0).get(30, TimeUnit.SECONDS);
        pipelines.remove(0);
        running.remove(0);
        startAndAwaitStreaming(producer, 0);

        source.execute(
                "INSERT INTO users VALUES (101, 'carol@example.com', 'carol', 'PHONE-SECRET-101')",
                "UPDATE users SET phone = 'PHONE-SECRET-' || id WHERE id <= 10");
        awaitCaughtUp(source, target);

        assertThat(target.queryForString("SELECT count(*) FROM users WHERE users::text LIKE '%SECRET%'"))
                .as("rows on the target carrying a raw value of the column without a rule")
                .isEqualTo("0");
        assertThat(target.queryForString("SELECT name FROM users WHERE id = 101"))
                .isEqualTo("CAROL");
        assertThat(target.queryForString("SELECT count(*) FROM users")).isEqualTo("22");
    }

    /**
     * Creates the schema and rows, starts a producer (initial copy into a new topic) and a consumer
     * applying the topic to {@code target}; returns the producer's settings.
     */
    private Map<Setting, String> start(TestDatabase source, TestDatabase target) throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("producer-restart", 1);
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        source.execute(
                "CREATE TABLE users (id int PRIMARY KEY, email text, name text)",
                Replication.MARKER_DDL,
                "INSERT INTO users SELECT i, 'user' || i || '@example.com', 'name ' || i FROM generate_series(1, 20) i");
        Map<Setting, String> common = new HashMap<>(Map.of(
                Setting.KAFKA_BROKERS,
                kafka.bootstrap(),
                Setting.KAFKA_TOPIC,
                topic,
                Setting.METRICS_PORT,
                "0",
                Setting.SINK_GROUP_MAX_DELAY,
                "50ms"));
        Map<Setting, String> producer = new HashMap<>(common);
        producer.put(Setting.SOURCE_URL, source.url().toUrlWithPassword());
        producer.put(Setting.TRANSFORM_FILE, rules.toString());
        startAndAwaitStreaming(producer, 0);

        Map<Setting, String> consumer = new HashMap<>(common);
        consumer.put(Setting.TARGET_URL, target.url().toUrlWithPassword());
        consumer.put(Setting.KAFKA_GROUP, "staging");
        startAndAwaitStreaming(consumer, 1);
        awaitCaughtUp(source, target);
        assertThat(target.queryForString("SELECT name FROM users WHERE id = 1")).isEqualTo("NAME 1");
        return producer;
    }

    private void startAndAwaitStreaming(Map<Setting, String> flags, int at) throws Exception {
        SluiceConfig config = ConfigLoader.load(null, Map.of(), flags);
        Pipeline pipeline = new Pipeline(
                        config, new SimpleMeterRegistry(), false, TestTransformers.env(TestTransformers.KEY_HEX))
                .transformers(TestTransformers.registry());
        CompletableFuture<Void> run = Replication.background(pipeline);
        pipelines.add(at, pipeline);
        running.add(at, run);
        Replication.awaitStreaming(pipeline, run);
    }

    /** A marker committed on the source reaches the target through the topic: all before it is applied. */
    private void awaitCaughtUp(TestDatabase source, TestDatabase target) throws Exception {
        int id = ++markers;
        source.execute("INSERT INTO sluice_test_marker VALUES (" + id + ")");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            for (CompletableFuture<Void> run : running) {
                if (run.isDone()) {
                    run.get();
                }
            }
            boolean exists = target.queryForString(
                            "SELECT count(*) FROM pg_tables WHERE tablename = 'sluice_test_marker'")
                    .equals("1");
            if (exists
                    && target.queryForString("SELECT count(*) FROM sluice_test_marker WHERE id = " + id)
                            .equals("1")) {
                return;
            }
            assertThat(System.nanoTime()).as("target caught up within 60 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
