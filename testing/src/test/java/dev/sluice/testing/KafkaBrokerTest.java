package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaBrokerTest {

    @Test
    void brokerAcceptsAndServesRecords() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("broker-test", 1);
        try (var producer = new KafkaProducer<String, String>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        kafka.saslBootstrap(),
                        "security.protocol",
                        "SASL_PLAINTEXT",
                        "sasl.mechanism",
                        "PLAIN",
                        "sasl.jaas.config",
                        "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                                + TestKafka.SASL_USER + "\" password=\"" + TestKafka.SASL_PASSWORD + "\";",
                        ProducerConfig.ACKS_CONFIG,
                        "all"),
                new StringSerializer(),
                new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "hello")).get(30, TimeUnit.SECONDS);
        }
        try (var consumer = new KafkaConsumer<String, String>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap(),
                        ConsumerConfig.GROUP_ID_CONFIG, "broker-test",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            ConsumerRecords<String, String> records = ConsumerRecords.empty();
            for (int i = 0; i < 50 && records.isEmpty(); i++) {
                records = consumer.poll(Duration.ofMillis(500));
            }
            assertThat(records.iterator().next().value()).isEqualTo("hello");
        }
    }

    @Test
    void securedBrokerServesSslAndEverySaslMechanismOverTls() throws Exception {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("secured-broker-test", 1);
        List<Map<String, Object>> clients = List.of(
                tls(kafka, kafka.truststore(), kafka.sslBootstrap(), "SSL"),
                sasl(kafka, "PLAIN", TestKafka.SASL_PASSWORD),
                sasl(kafka, "SCRAM-SHA-256", TestKafka.SASL_PASSWORD),
                sasl(kafka, "SCRAM-SHA-512", TestKafka.SASL_PASSWORD));
        List<String> sent = new ArrayList<>();
        for (Map<String, Object> client : clients) {
            String value = client.get("security.protocol") + " " + client.getOrDefault("sasl.mechanism", "-");
            send(client, topic, value);
            sent.add(value);
        }
        Map<String, Object> reader = new HashMap<>(clients.getFirst());
        reader.put(ConsumerConfig.GROUP_ID_CONFIG, "secured-broker-test");
        reader.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> received = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(reader, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            for (int i = 0; i < 60 && received.size() < sent.size(); i++) {
                consumer.poll(Duration.ofMillis(500)).forEach(r -> received.add(r.value()));
            }
        }
        assertThat(received).containsExactlyElementsOf(sent);
    }

    @Test
    void securedBrokerRefusesAWrongPasswordAndAForeignTruststore(@TempDir Path dir) {
        TestKafka kafka = TestKafka.secured();
        String topic = kafka.createTopic("secured-broker-refuses", 1);
        Throwable wrongPassword = sendFailure(sasl(kafka, "SCRAM-SHA-256", "not-the-password"), topic);
        assertThat(wrongPassword).isInstanceOf(SaslAuthenticationException.class);
        Path foreign = TestTls.generate(dir, "other").truststore();
        Map<String, Object> untrusting = tls(kafka, foreign, kafka.sslBootstrap(), "SSL");
        untrusting.put("ssl.truststore.password", "other");
        assertThat(sendFailure(untrusting, topic)).isInstanceOf(SslAuthenticationException.class);
    }

    private static Map<String, Object> tls(TestKafka kafka, Path truststore, String bootstrap, String protocol) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put("security.protocol", protocol);
        p.put("ssl.truststore.location", truststore.toString());
        p.put("ssl.truststore.type", "PKCS12");
        p.put("ssl.truststore.password", TestKafka.TRUSTSTORE_PASSWORD);
        return p;
    }

    private static Map<String, Object> sasl(TestKafka kafka, String mechanism, String password) {
        Map<String, Object> p = tls(kafka, kafka.truststore(), kafka.saslSslBootstrap(), "SASL_SSL");
        p.put("sasl.mechanism", mechanism);
        String module = mechanism.equals("PLAIN")
                ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        p.put(
                "sasl.jaas.config",
                module + " required username=\"" + TestKafka.SASL_USER + "\" password=\"" + password + "\";");
        return p;
    }

    private static void send(Map<String, Object> client, String topic, String value) throws Exception {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 20_000);
        try (var producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private static Throwable sendFailure(Map<String, Object> client, String topic) {
        try {
            send(client, topic, "refused");
            throw new AssertionError("the broker accepted " + client.get("security.protocol"));
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
    }
}
