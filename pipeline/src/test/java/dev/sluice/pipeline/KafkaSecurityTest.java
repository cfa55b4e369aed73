package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A producer and a consumer `sluice run` reach a secured broker over SASL_SSL (the producer with
 * PLAIN, the consumer with SCRAM-SHA-256), trusting its certificate through a PKCS12 truststore
 * made at test time: the target ends equal to the source, `status` shows the group's lag over
 * SASL_SSL and SSL, and no password shows in any process's output.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaSecurityTest {

    @Test
    void producerAndConsumerOverSaslSslReplicateAndStatusShowsTheGroupsLag() throws Exception {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("secured", 2);
        String group = "staging-tls";
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL)",
                    "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 200) i");
            Map<String, String> producer = saslSsl(kafka, topic, "PLAIN");
            producer.put("SLUICE_SOURCE_URL", source.url().toUrlWithPassword());
            producer.put("SLUICE_KAFKA_PARTITIONING", "key");
            Map<String, String> consumer = saslSsl(kafka, topic, "SCRAM-SHA-256");
            consumer.put("SLUICE_TARGET_URL", target.url().toUrlWithPassword());
            consumer.put("SLUICE_KAFKA_GROUP", group);
            consumer.put("SLUICE_SINK_GROUP_MAX_DELAY", "50ms");

            SluiceProcess publisher = SluiceProcess.start(List.of(), producer, "run");
            SluiceProcess applier = SluiceProcess.start(List.of(), consumer, "run");
            try {
                awaitSame(source, target, applier);
                source.execute(
                        "INSERT INTO items SELECT i, 'item ' || i FROM generate_series(201, 300) i",
                        "UPDATE items SET name = name || ' (renamed)' WHERE id % 7 = 0",
                        "DELETE FROM items WHERE id % 11 = 0");
                awaitSame(source, target, applier);

                Map<String, String> scram512 = saslSsl(kafka, topic, "SCRAM-SHA-512");
                scram512.put("SLUICE_KAFKA_GROUP", group);
                String status = awaitNoLag(scram512, group);
                assertThat(status).contains("kafka:        topic " + topic + ", 2 partition(s), published up to");

                Map<String, String> ssl = new HashMap<>(Map.of(
                        "SLUICE_KAFKA_BROKERS",
                        kafka.sslBootstrap(),
                        "SLUICE_KAFKA_TOPIC",
                        topic,
                        "SLUICE_KAFKA_GROUP",
                        group,
                        "SLUICE_KAFKA_SECURITY_PROTOCOL",
                        "SSL",
                        "SLUICE_KAFKA_SSL_TRUSTSTORE",
                        kafka.truststore().toString(),
                        "SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD",
                        TestKafka.TRUSTSTORE_PASSWORD));
                awaitNoLag(ssl, group);

                assertThat(applier.terminate())
                        .as("consumer exit code after SIGTERM")
                        .isZero();
                assertThat(publisher.terminate())
                        .as("producer exit code after SIGTERM")
                        .isZero();
                for (SluiceProcess p : List.of(publisher, applier)) {
                    assertThat(p.output())
                            .contains("Stopped.")
                            .doesNotContain(TestKafka.SASL_PASSWORD)
                            .doesNotContain(TestKafka.TRUSTSTORE_PASSWORD);
                }
            } finally {
                publisher.close();
                applier.close();
            }
        }
    }

    /** The environment of a client of the secured broker's SASL_SSL listener, secrets included as an operator passes them. */
    private static Map<String, String> saslSsl(TestKafka kafka, String topic, String mechanism) {
        return new HashMap<>(Map.of(
                "SLUICE_KAFKA_BROKERS",
                kafka.saslSslBootstrap(),
                "SLUICE_KAFKA_TOPIC",
                topic,
                "SLUICE_KAFKA_SECURITY_PROTOCOL",
                "SASL_SSL",
                "SLUICE_KAFKA_SASL_MECHANISM",
                mechanism,
                "SLUICE_KAFKA_SASL_USERNAME",
                TestKafka.SASL_USER,
                "SLUICE_KAFKA_SASL_PASSWORD",
                TestKafka.SASL_PASSWORD,
                "SLUICE_KAFKA_SSL_TRUSTSTORE",
                kafka.truststore().toString(),
                "SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD",
                TestKafka.TRUSTSTORE_PASSWORD,
                "SLUICE_METRICS_PORT",
                "0"));
    }

    /** `sluice status` until the group shows no lag (its offsets are committed every half second); its output. */
    private static String awaitNoLag(Map<String, String> env, String group) throws Exception {
        String expected = "group:        " + group + ", lag 0 record(s), 0 B of source WAL";
        String output = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!output.contains(expected) && System.nanoTime() < deadline) {
            try (SluiceProcess status = SluiceProcess.start(List.of(), env, "status")) {
                assertThat(status.waitFor())
                        .as("status exit code; output:%n%s", status.output())
                        .isZero();
                output = status.output();
            }
            assertThat(output).doesNotContain(TestKafka.SASL_PASSWORD).doesNotContain(TestKafka.TRUSTSTORE_PASSWORD);
        }
        assertThat(output).contains(expected);
        return output;
    }

    private static void awaitSame(TestDatabase source, TestDatabase target, SluiceProcess applier) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(applier.isAlive())
                    .as("consumer runs; output:%n%s", applier.output())
                    .isTrue();
            boolean exists = target.queryForString("SELECT count(*) FROM pg_tables WHERE tablename = 'items'")
                    .equals("1");
            if (exists && target.tableChecksum("items").equals(source.tableChecksum("items"))) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("items differ on the target; consumer output:\n" + applier.output());
    }
}
