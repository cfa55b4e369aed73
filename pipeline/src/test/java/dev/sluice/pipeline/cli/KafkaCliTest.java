package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.cli.CliErrorsTest.Result;
import dev.sluice.testing.FreePorts;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka settings and failures, as a person meets them on the command line: one message naming
 * the brokers or the topic and what to do, the exit code of its reason, no stack trace, no secret.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaCliTest {

    private static final String SECRET = "kafka-Pa55-word";

    @Test
    void unreachableBrokersAreNamedWithoutAStackTrace() throws IOException {
        String nobody = "127.0.0.1:" + FreePorts.loopback();
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            Result r = CliErrorsTest.sluice(
                    Map.of("SLUICE_KAFKA_SASL_PASSWORD", SECRET),
                    "run",
                    "--target-url",
                    target.url().toUrlWithPassword(),
                    "--kafka-brokers",
                    nobody,
                    "--topic",
                    "changes",
                    "--group",
                    "staging-eu",
                    "--kafka-security-protocol",
                    "SASL_PLAINTEXT",
                    "--kafka-sasl-username",
                    "sluice",
                    "--metrics-port",
                    "0");
            assertThat(r.code()).isEqualTo(3);
            assertThat(r.err())
                    .contains("Kafka brokers " + nobody + " did not answer")
                    .contains("kafka.brokers")
                    .doesNotContain(SECRET)
                    .doesNotContain("\tat ");
        }
    }

    @Test
    void missingTopicSaysHowToCreateIt() {
        TestKafka kafka = TestKafka.broker();
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE t (id int PRIMARY KEY)");
            Result r = CliErrorsTest.sluice(
                    "run",
                    "--source-url",
                    source.url().toUrlWithPassword(),
                    "--kafka-brokers",
                    kafka.bootstrap(),
                    "--topic",
                    "no-such-topic",
                    "--metrics-port",
                    "0");
            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err())
                    .contains("Kafka topic 'no-such-topic' does not exist on " + kafka.bootstrap())
                    .contains("kafka-topics.sh")
                    .contains("kafka.create_topic: true");
        }
    }

    @Test
    void invalidSettingsNameValueFoundAndExpected() {
        Result partitioning = CliErrorsTest.sluice(
                "status", "--kafka-brokers", "k:9092", "--topic", "t", "--partitioning", "column", "--group", "g");
        assertThat(partitioning.err())
                .contains("flag --partitioning: kafka.partitioning = 'column' is not allowed; expected one of schema,"
                        + " table, key");
        Result broker = CliErrorsTest.sluice("status", "--kafka-brokers", "no-port", "--topic", "t", "--group", "g");
        assertThat(broker.err()).contains("kafka.brokers: 'no-port' is not allowed (expected host:port)");
        Result sasl = CliErrorsTest.sluice(
                Map.of("SLUICE_KAFKA_SASL_PASSWORD", SECRET),
                "status",
                "--kafka-brokers",
                "k:9092",
                "--topic",
                "t",
                "--group",
                "g",
                "--kafka-security-protocol",
                "SASL_SSL");
        assertThat(sasl.err()).contains("needs kafka.sasl_username").doesNotContain(SECRET);
    }
}
