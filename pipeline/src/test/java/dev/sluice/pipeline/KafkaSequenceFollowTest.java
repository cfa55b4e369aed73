package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Through Kafka, a consumer's target sequences (serial and identity columns) follow the source's
 * after the initial copy and while streaming, including a group that joins late, so staging can
 * insert with default ids next to the replicated rows; sequences of tables the filter leaves out
 * never reach the topic, and an idle source adds nothing to it.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class KafkaSequenceFollowTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE orders (id bigserial PRIMARY KEY, note text)",
        "CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text)",
        "CREATE TABLE audit (id serial PRIMARY KEY, what text)",
        Replication.MARKER_DDL
    };

    @Test
    void consumerTargetsSequencesFollowTheSourceAfterTheCopyWhileStreamingAndForALateGroup() throws Exception {
        TestKafka kafka = TestKafka.broker();
        // By table over three partitions: the two tables' sequences travel in different partitions.
        String topic = kafka.createTopic("sequences", 3);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase early = TestPostgres.server().createDatabase();
                TestDatabase late = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            copyStreamAndJoinLate(running, kafka, topic, source, early, late);
        }
    }

    private void copyStreamAndJoinLate(
            RunningPipelines running,
            TestKafka kafka,
            String topic,
            TestDatabase source,
            TestDatabase early,
            TestDatabase late)
            throws Exception {
        source.execute(SCHEMA);
        source.execute(
                "INSERT INTO orders (note) SELECT 'copied' FROM generate_series(1, 50)",
                "INSERT INTO tickets (what) SELECT 'copied' FROM generate_series(1, 30)",
                "INSERT INTO audit (what) SELECT 'left out' FROM generate_series(1, 70)");
        Map<Setting, String> common = KafkaFlags.common(kafka, topic);
        Map<Setting, String> producerFlags = KafkaFlags.producer(common, source.url());
        producerFlags.put(Setting.KAFKA_PARTITIONING, "table");
        producerFlags.put(Setting.SOURCE_TABLES, "*,!public.audit");
        producerFlags.put(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "200ms");
        SimpleMeterRegistry producerMetrics = new SimpleMeterRegistry();
        running.startAndAwaitStreaming(pipeline(producerFlags, producerMetrics));

        SimpleMeterRegistry earlyMetrics = new SimpleMeterRegistry();
        running.start(pipeline(KafkaFlags.consumer(common, early.url(), "early"), earlyMetrics));
        // After the initial copy alone.
        awaitNextIdAbove(running, early, "orders_id_seq", 50);
        awaitNextIdAbove(running, early, "tickets_id_seq", 30);

        // A large transaction, then a table created while the producer still publishes it: the
        // producer reads the new table's sequence before its schema change is in the topic.
        source.execute(
                "INSERT INTO orders (note) SELECT 'streamed' FROM generate_series(1, 20000)",
                "INSERT INTO tickets (what) SELECT 'streamed' FROM generate_series(1, 20)",
                "CREATE TABLE visits (id serial PRIMARY KEY, at text)",
                "INSERT INTO visits (at) SELECT 'streamed' FROM generate_series(1, 7)");
        awaitNextIdAbove(running, early, "orders_id_seq", 20050);
        awaitNextIdAbove(running, early, "tickets_id_seq", 50);
        awaitNextIdAbove(running, early, "visits_id_seq", 7);
        awaitRows(running, early, "orders", 20050);

        running.start(pipeline(KafkaFlags.consumer(common, late.url(), "late"), new SimpleMeterRegistry()));
        awaitNextIdAbove(running, late, "orders_id_seq", 20050);
        awaitNextIdAbove(running, late, "tickets_id_seq", 50);
        awaitNextIdAbove(running, late, "visits_id_seq", 7);
        awaitRows(running, late, "orders", 20050);

        for (TestDatabase target : List.of(early, late)) {
            awaitRows(running, target, "visits", 7);
            target.execute(
                    "INSERT INTO orders (note) VALUES ('staging')", "INSERT INTO tickets (what) VALUES ('staging')");
            assertThat(target.queryForString("SELECT id FROM orders WHERE note = 'staging'"))
                    .isEqualTo("20051");
            assertThat(target.queryForString("SELECT id FROM tickets WHERE what = 'staging'"))
                    .isEqualTo("51");
            target.execute("INSERT INTO visits (at) VALUES ('staging')");
            assertThat(target.queryForString("SELECT id FROM visits WHERE at = 'staging'"))
                    .isEqualTo("8");
            assertThat(target.queryForString("SELECT count(*) FROM pg_tables WHERE tablename = 'audit'"))
                    .isEqualTo("0");
        }
        assertThat(producerMetrics
                        .get("sluice_kafka_sequences_published")
                        .functionCounter()
                        .count())
                .isGreaterThanOrEqualTo(4);
        assertThat(earlyMetrics.get("sluice_sequences_synced").functionCounter().count())
                .isGreaterThanOrEqualTo(4);

        // Idle: a few reads of unchanged values later, the topic has not grown.
        Thread.sleep(1_000);
        List<String> before = records(kafka, topic);
        Thread.sleep(1_500);
        List<String> after = records(kafka, topic);
        assertThat(after).hasSameSizeAs(before);
        List<String> sequences =
                after.stream().filter(r -> r.contains("\"kind\":\"sequences\"")).toList();
        assertThat(sequences).anyMatch(r -> r.contains("\"name\":\"orders_id_seq\""));
        assertThat(sequences).anyMatch(r -> r.contains("\"name\":\"tickets_id_seq\""));
        assertThat(sequences).noneMatch(r -> r.contains("audit_id_seq"));
        // By table: each table's sequence goes with its table's partition (orders 0, tickets 2).
        assertThat(sequences).noneMatch(r -> r.contains("orders_id_seq") && r.contains("tickets_id_seq"));
    }

    @Test
    void zeroIntervalPublishesNoSequences() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("no-sequences", 1);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                RunningPipelines running = new RunningPipelines()) {
            publishWithoutSequences(running, kafka, topic, source, target);
        }
    }

    private void publishWithoutSequences(
            RunningPipelines running, TestKafka kafka, String topic, TestDatabase source, TestDatabase target)
            throws Exception {
        source.execute(SCHEMA);
        source.execute("INSERT INTO orders (note) SELECT 'copied' FROM generate_series(1, 50)");
        Map<Setting, String> common = KafkaFlags.common(kafka, topic);
        Map<Setting, String> producerFlags = KafkaFlags.producer(common, source.url());
        producerFlags.put(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "0");
        running.startAndAwaitStreaming(pipeline(producerFlags, new SimpleMeterRegistry()));
        running.start(pipeline(KafkaFlags.consumer(common, target.url(), "target"), new SimpleMeterRegistry()));
        source.execute("INSERT INTO orders (note) SELECT 'streamed' FROM generate_series(1, 10)");
        awaitRows(running, target, "orders", 60);
        Thread.sleep(500);

        List<String> records = records(kafka, topic);
        assertThat(records).anyMatch(r -> r.contains("\"kind\":\"commit\""));
        assertThat(records).noneMatch(r -> r.contains("\"kind\":\"sequences\""));
        assertThat(target.queryForString("SELECT is_called FROM orders_id_seq")).isEqualTo("f");
    }

    private static Pipeline pipeline(Map<Setting, String> flags, SimpleMeterRegistry registry) {
        return new Pipeline(ConfigLoader.load(null, Map.of(), flags), registry);
    }

    /** Every committed Sluice record of the topic, as JSON text, partition by partition. */
    private static List<String> records(TestKafka kafka, String topic) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrap(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                assertThat(System.nanoTime()).as("topic read within 30 s").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    // A Kafka record's value holds one Sluice record per line.
                    new String(r.value(), StandardCharsets.UTF_8).lines().forEach(out::add);
                }
            }
        }
        return out;
    }

    private static void awaitRows(RunningPipelines running, TestDatabase target, String table, int rows)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            running.rethrowFailures();
            boolean exists = target.queryForString("SELECT count(*) FROM pg_tables WHERE tablename = '" + table + "'")
                    .equals("1");
            if (exists && Long.parseLong(target.queryForString("SELECT count(*) FROM " + table)) >= rows) {
                return;
            }
            assertThat(System.nanoTime())
                    .as("%s holds %d rows of %s within 60 s", target.name(), rows, table)
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Waits until the target's sequence would hand out an id above {@code maxId}, without drawing one. */
    private static void awaitNextIdAbove(RunningPipelines running, TestDatabase target, String sequence, long maxId)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String next = null;
        while (System.nanoTime() < deadline) {
            running.rethrowFailures();
            boolean exists = target.queryForString(
                            "SELECT count(*) FROM pg_class WHERE relkind = 'S' AND relname = '" + sequence + "'")
                    .equals("1");
            if (exists) {
                next = target.queryForString(
                        "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM " + sequence);
                if (Long.parseLong(next) > maxId) {
                    return;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError(target.name() + ": sequence " + sequence + " did not pass " + maxId
                + " within 60 s (next value " + next + ")");
    }
}
