package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Producer and consumer `sluice run` processes killed with SIGKILL mid-stream, over a topic
 * partitioned by primary key with a schema change (a barrier) in the middle, while the source
 * keeps writing: after restarts the target equals the source, with no transaction lost or applied
 * twice. The consumer reaches Kafka over SASL, and its password never shows in its output.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaCrashTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
        // No key: a transaction applied twice would leave visible duplicate rows here.
        "CREATE TABLE ledger (account int, amount bigint, note text)",
        "ALTER TABLE ledger REPLICA IDENTITY FULL",
        Replication.MARKER_DDL
    };

    @Test
    void killedProducerAndConsumerResumeWithoutLossOrDuplicate() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("crash", 3);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            source.execute("INSERT INTO accounts SELECT i, 0 FROM generate_series(1, 100) i");
            Map<String, String> producer = new HashMap<>(Map.of(
                    "SLUICE_SOURCE_URL",
                    source.url().toUrlWithPassword(),
                    "SLUICE_KAFKA_BROKERS",
                    kafka.bootstrap(),
                    "SLUICE_KAFKA_TOPIC",
                    topic,
                    "SLUICE_KAFKA_PARTITIONING",
                    "key",
                    "SLUICE_METRICS_PORT",
                    "0"));
            Map<String, String> consumer = new HashMap<>(Map.of(
                    "SLUICE_TARGET_URL",
                    target.url().toUrlWithPassword(),
                    "SLUICE_KAFKA_BROKERS",
                    kafka.saslBootstrap(),
                    "SLUICE_KAFKA_TOPIC",
                    topic,
                    "SLUICE_KAFKA_GROUP",
                    "staging-eu",
                    "SLUICE_KAFKA_SECURITY_PROTOCOL",
                    "SASL_PLAINTEXT",
                    "SLUICE_KAFKA_SASL_USERNAME",
                    TestKafka.SASL_USER,
                    "SLUICE_KAFKA_SASL_PASSWORD",
                    TestKafka.SASL_PASSWORD,
                    "SLUICE_METRICS_PORT",
                    "0"));
            consumer.put("SLUICE_SINK_GROUP_MAX_DELAY", "50ms");

            try (MoneyWorkload workload = new MoneyWorkload(source)) {
                SluiceProcess publisher = SluiceProcess.start(List.of(), producer, "run");
                SluiceProcess applier = SluiceProcess.start(List.of(), consumer, "run");
                try {
                    awaitRows(target, "accounts", 100, applier);
                    workload.start();
                    Thread.sleep(ThreadLocalRandom.current().nextInt(500, 1500));
                    applier.kill9();
                    applier.close();
                    applier = SluiceProcess.start(List.of(), consumer, "run");
                    Thread.sleep(500);
                    // A schema change under key partitioning: a barrier across all partitions.
                    source.execute("ALTER TABLE ledger ADD COLUMN memo text DEFAULT 'x'");
                    Thread.sleep(ThreadLocalRandom.current().nextInt(300, 1200));
                    publisher.kill9();
                    assertThat(publisher.output()).doesNotContain(password(source));
                    publisher.close();
                    publisher = SluiceProcess.start(List.of(), producer, "run");
                    Thread.sleep(ThreadLocalRandom.current().nextInt(500, 1500));
                    applier.kill9();
                    applier.close();
                    applier = SluiceProcess.start(List.of(), consumer, "run");
                    Thread.sleep(1000);
                    workload.stopAndCheck();
                    awaitSame(source, target, List.of("accounts", "ledger"), applier);
                    assertThat(applier.terminate())
                            .as("consumer exit code after SIGTERM")
                            .isZero();
                    assertThat(publisher.terminate())
                            .as("producer exit code after SIGTERM")
                            .isZero();
                    assertThat(applier.output())
                            .contains("Stopped.")
                            .doesNotContain(TestKafka.SASL_PASSWORD)
                            .doesNotContain(password(target));
                } finally {
                    publisher.close();
                    applier.close();
                }
            }
            assertThat(target.queryForString("SELECT count(*) FROM ledger"))
                    .isEqualTo(source.queryForString("SELECT count(*) FROM ledger"));
            assertThat(target.queryForString("SELECT count(*) FROM ledger WHERE memo = 'x'"))
                    .isEqualTo(source.queryForString("SELECT count(*) FROM ledger WHERE memo = 'x'"));
        }
    }

    private static String password(TestDatabase db) {
        return db.url().properties().getProperty("password");
    }

    private static void awaitRows(TestDatabase target, String table, int rows, SluiceProcess applier) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(applier.isAlive())
                    .as("consumer runs; output:%n%s", applier.output())
                    .isTrue();
            boolean exists = target.queryForString("SELECT count(*) FROM pg_tables WHERE tablename = '" + table + "'")
                    .equals("1");
            if (exists && Integer.parseInt(target.queryForString("SELECT count(*) FROM " + table)) >= rows) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("target did not get the initial copy; output:\n" + applier.output());
    }

    private static void awaitSame(TestDatabase source, TestDatabase target, List<String> tables, SluiceProcess applier)
            throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        for (String table : tables) {
            while (!target.tableChecksum(table).equals(source.tableChecksum(table)) && System.nanoTime() < deadline) {
                assertThat(applier.isAlive())
                        .as("consumer runs; output:%n%s", applier.output())
                        .isTrue();
                Thread.sleep(100);
            }
            assertThat(target.tableChecksum(table))
                    .as("%s equal on the target; consumer output:%n%s", table, applier.output())
                    .isEqualTo(source.tableChecksum(table));
        }
    }
}
