package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import dev.sluice.testing.TestTls;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a person sees when a secured cluster refuses Sluice: `sluice` as a child process against
 * the secured test broker, its whole output (Kafka clients' own log lines included) captured: one
 * message naming the brokers and what to check, the exit code of its reason, no stack trace, and
 * never a password.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaSecurityErrorsTest {

    private static final String WRONG_PASSWORD = "not-the-Pa55-word";

    @TempDir
    Path dir;

    @Test
    void wrongSaslPasswordSaysAuthenticationFailedAndNeverPrintsIt() throws Exception {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("wrong-password", 1);
        Map<String, String> status = saslSsl(kafka, topic, "PLAIN", WRONG_PASSWORD);
        String output = refused(status, 3, "status");
        assertThat(output)
                .contains("error: Kafka brokers " + kafka.saslSslBootstrap() + ": authentication failed while reading"
                        + " topic " + topic + " (SASL_SSL, mechanism PLAIN, user 'sluice')")
                .contains("Check kafka.sasl_username, kafka.sasl_password (SLUICE_KAFKA_SASL_PASSWORD)");

        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE t (id int PRIMARY KEY)");
            Map<String, String> producer = saslSsl(kafka, topic, "SCRAM-SHA-256", WRONG_PASSWORD);
            producer.put("SLUICE_SOURCE_URL", source.url().toUrlWithPassword());
            assertThat(refused(producer, 3, "run"))
                    .contains("error: Kafka brokers " + kafka.saslSslBootstrap() + ": authentication failed while")
                    .contains("(SASL_SSL, mechanism SCRAM-SHA-256, user 'sluice')")
                    .doesNotContain(password(source));

            Map<String, String> consumer = saslSsl(kafka, topic, "SCRAM-SHA-512", WRONG_PASSWORD);
            consumer.put("SLUICE_TARGET_URL", target.url().toUrlWithPassword());
            consumer.put("SLUICE_KAFKA_GROUP", "staging-refused");
            assertThat(refused(consumer, 3, "run"))
                    .contains("error: Kafka brokers " + kafka.saslSslBootstrap() + ": authentication failed while")
                    .contains("(SASL_SSL, mechanism SCRAM-SHA-512, user 'sluice')")
                    .doesNotContain(password(target));
        }
    }

    @Test
    void certificateNotInTheTruststoreIsATlsHandshakeFailureNamingTheTruststore() throws Exception {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("untrusted", 1);
        Path foreign = TestTls.generate(dir, "foreign-Pa55").truststore();

        Map<String, String> ssl = client(kafka.sslBootstrap(), topic, "SSL");
        ssl.put("SLUICE_KAFKA_SSL_TRUSTSTORE", foreign.toString());
        ssl.put("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD", "foreign-Pa55");
        assertThat(refused(ssl, 3, "status"))
                .contains("error: Kafka brokers " + kafka.sslBootstrap() + ": TLS handshake failed while reading topic "
                        + topic + ": their certificate is not trusted by kafka.ssl_truststore " + foreign)
                .contains("Check that it holds the CA that signed the brokers' certificates")
                .doesNotContain("foreign-Pa55");

        Map<String, String> sasl = saslSsl(kafka, topic, "PLAIN", TestKafka.SASL_PASSWORD);
        sasl.put("SLUICE_KAFKA_SSL_TRUSTSTORE", foreign.toString());
        sasl.put("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD", "foreign-Pa55");
        assertThat(refused(sasl, 3, "status"))
                .contains("error: Kafka brokers " + kafka.saslSslBootstrap() + ": TLS handshake failed")
                .contains("not trusted by kafka.ssl_truststore " + foreign)
                .doesNotContain("authentication failed")
                .doesNotContain("foreign-Pa55");

        Map<String, String> defaultTrust = client(kafka.sslBootstrap(), topic, "SSL");
        assertThat(refused(defaultTrust, 3, "status"))
                .contains("TLS handshake failed while reading topic " + topic + ": their certificate is not trusted by"
                        + " the JVM's default CAs (kafka.ssl_truststore is not set)");
    }

    @Test
    void clientOfAnotherProtocolThanTheListenersIsToldToCheckIt() throws Exception {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("plain-listener", 1);
        Map<String, String> plain = client(kafka.sslBootstrap(), topic, "PLAINTEXT");
        assertThat(refused(plain, 3, "status"))
                .contains("error: Kafka brokers " + kafka.sslBootstrap() + " did not answer while reading topic")
                .contains("kafka.security_protocol (PLAINTEXT needs a listener without TLS or SASL at that port");

        Map<String, String> ssl = client(kafka.bootstrap(), topic, "SSL");
        ssl.put("SLUICE_KAFKA_SSL_TRUSTSTORE", kafka.truststore().toString());
        ssl.put("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD", TestKafka.TRUSTSTORE_PASSWORD);
        assertThat(refused(ssl, 3, "status"))
                .contains("error: Kafka brokers " + kafka.bootstrap() + " did not answer while reading topic")
                .contains("security protocol SSL): check kafka.brokers, the network, and kafka.security_protocol (SSL"
                        + " needs a TLS listener at that port");
    }

    @Test
    void missingTruststoreOrWrongTruststorePasswordFailsAtStartUpNamingTheSetting() throws Exception {
        TestKafka kafka = TestKafka.secured();
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            Map<String, String> consumer = saslSsl(kafka, "any-topic", "PLAIN", TestKafka.SASL_PASSWORD);
            consumer.put("SLUICE_TARGET_URL", target.url().toUrlWithPassword());
            consumer.put("SLUICE_KAFKA_GROUP", "staging-startup");

            Path missing = dir.resolve("missing.p12");
            consumer.put("SLUICE_KAFKA_SSL_TRUSTSTORE", missing.toString());
            assertThat(refused(consumer, 2, "run"))
                    .contains("error: kafka.ssl_truststore: " + missing
                            + " is not a readable file (expected a PKCS12 truststore)");

            consumer.put("SLUICE_KAFKA_SSL_TRUSTSTORE", kafka.truststore().toString());
            consumer.put("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD", WRONG_PASSWORD);
            assertThat(refused(consumer, 2, "run"))
                    .contains("error: kafka.ssl_truststore: cannot open " + kafka.truststore()
                            + " as a PKCS12 truststore with kafka.ssl_truststore_password (set)")
                    .contains("password was incorrect")
                    .doesNotContain(password(target));
        }
    }

    private static Map<String, String> client(String brokers, String topic, String protocol) {
        return new HashMap<>(Map.of(
                "SLUICE_KAFKA_BROKERS", brokers,
                "SLUICE_KAFKA_TOPIC", topic,
                "SLUICE_KAFKA_GROUP", "staging-errors",
                "SLUICE_KAFKA_SECURITY_PROTOCOL", protocol,
                "SLUICE_METRICS_PORT", "0"));
    }

    private static Map<String, String> saslSsl(TestKafka kafka, String topic, String mechanism, String password) {
        Map<String, String> env = client(kafka.saslSslBootstrap(), topic, "SASL_SSL");
        env.put("SLUICE_KAFKA_SASL_MECHANISM", mechanism);
        env.put("SLUICE_KAFKA_SASL_USERNAME", TestKafka.SASL_USER);
        env.put("SLUICE_KAFKA_SASL_PASSWORD", password);
        env.put("SLUICE_KAFKA_SSL_TRUSTSTORE", kafka.truststore().toString());
        env.put("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD", TestKafka.TRUSTSTORE_PASSWORD);
        return env;
    }

    /** Runs `sluice COMMAND` to its end; asserts the exit code and what no output may hold; returns the output. */
    private static String refused(Map<String, String> env, int code, String command) throws Exception {
        try (SluiceProcess p = SluiceProcess.start(List.of(), env, command)) {
            int exit = p.waitFor();
            String output = p.output();
            assertThat(exit).as("exit code; output:%n%s", output).isEqualTo(code);
            assertThat(output)
                    .doesNotContain(WRONG_PASSWORD)
                    .doesNotContain(TestKafka.SASL_PASSWORD)
                    .doesNotContain(TestKafka.TRUSTSTORE_PASSWORD)
                    .doesNotContain("\tat ")
                    .doesNotContain("internal error");
            return output;
        }
    }

    private static String password(TestDatabase db) {
        return db.url().properties().getProperty("password");
    }
}
