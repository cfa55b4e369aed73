package dev.sluice.pipeline.kafka;

import static dev.sluice.core.Preconditions.requireConfig;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How Sluice reaches a Kafka cluster and which topic it uses; validated once, when built.
 *
 * @param brokers bootstrap servers, {@code host:port}
 * @param topic the topic of the change stream
 * @param partitioning how records are spread over the topic's partitions (producer side)
 * @param createTopic whether the producer creates the topic when it is missing
 * @param partitions partitions of a topic the producer creates (default 1)
 * @param securityProtocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default PLAINTEXT)
 * @param saslMechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default PLAIN)
 * @param saslUsername user for SASL, empty for none
 * @param saslPassword password for SASL; a secret, never printed ({@link #toString()} masks it)
 * @param truststore PKCS12 or JKS truststore for TLS, empty for the JVM's default trust
 * @param truststorePassword the truststore's password; a secret
 */
public record KafkaSettings(
        List<String> brokers,
        String topic,
        Partitioning partitioning,
        boolean createTopic,
        int partitions,
        String securityProtocol,
        String saslMechanism,
        String saslUsername,
        String saslPassword,
        Optional<Path> truststore,
        String truststorePassword) {

    private static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512");

    public KafkaSettings {
        brokers = List.copyOf(brokers);
        requireConfig(!brokers.isEmpty(), "kafka.brokers is empty (expected host:port, comma-separated)");
        for (String b : brokers) {
            requireConfig(b.matches("[^:\\s]+:\\d{1,5}"), "kafka.brokers: '%s' is not allowed (expected host:port)", b);
        }
        requireConfig(
                topic != null && topic.matches("[A-Za-z0-9._-]{1,249}"),
                "kafka.topic: '%s' is not allowed (expected 1 to 249 letters, digits, '.', '_' or '-')",
                topic);
        securityProtocol = securityProtocol.toUpperCase(Locale.ROOT);
        requireConfig(
                PROTOCOLS.contains(securityProtocol),
                "kafka.security_protocol: '%s' is not allowed (expected one of %s)",
                securityProtocol,
                String.join(", ", PROTOCOLS));
        saslMechanism = saslMechanism.toUpperCase(Locale.ROOT);
        requireConfig(
                MECHANISMS.contains(saslMechanism),
                "kafka.sasl_mechanism: '%s' is not allowed (expected one of %s)",
                saslMechanism,
                String.join(", ", MECHANISMS));
        requireConfig(partitions >= 1, "kafka.partitions: %d is not allowed (expected 1 or more)", partitions);
        boolean sasl = securityProtocol.startsWith("SASL_");
        requireConfig(
                !sasl || !saslUsername.isEmpty(),
                "kafka.security_protocol %s needs kafka.sasl_username and kafka.sasl_password (SLUICE_KAFKA_SASL_PASSWORD)",
                securityProtocol);
    }

    /** The brokers as Kafka clients take them, and as messages name them. */
    public String bootstrap() {
        return String.join(",", brokers);
    }

    /** Connection and security properties every client of this cluster gets. */
    public Map<String, Object> clientProperties() {
        Map<String, Object> p = new HashMap<>();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, securityProtocol);
        // Fail fast on a broker that never answers instead of retrying for minutes.
        p.put(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, 2_000);
        if (securityProtocol.startsWith("SASL_")) {
            p.put(SaslConfigs.SASL_MECHANISM, saslMechanism);
            String module = saslMechanism.equals("PLAIN")
                    ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            p.put(
                    SaslConfigs.SASL_JAAS_CONFIG,
                    module + " required username=\"" + jaasQuote(saslUsername) + "\" password=\""
                            + jaasQuote(saslPassword) + "\";");
        }
        if (securityProtocol.endsWith("SSL") && truststore.isPresent()) {
            p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore.get().toString());
            String name = truststore.get().getFileName().toString().toLowerCase(Locale.ROOT);
            p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, name.endsWith(".jks") ? "JKS" : "PKCS12");
            if (!truststorePassword.isEmpty()) {
                p.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, truststorePassword);
            }
        }
        return p;
    }

    private static String jaasQuote(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /** Secrets masked. */
    @Override
    public String toString() {
        return "KafkaSettings[brokers=" + bootstrap() + ", topic=" + topic + ", partitioning=" + partitioning
                + ", securityProtocol=" + securityProtocol + ", saslMechanism=" + saslMechanism + ", saslUsername="
                + saslUsername + ", saslPassword=" + (saslPassword.isEmpty() ? "" : "****") + ", truststore="
                + truststore.map(Path::toString).orElse("") + "]";
    }
}
