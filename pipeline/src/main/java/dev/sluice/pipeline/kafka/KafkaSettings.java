package dev.sluice.pipeline.kafka;

import static dev.sluice.core.Preconditions.requireConfig;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * How Sluice reaches a Kafka cluster and which topic it uses; validated once, when built. A
 * truststore is opened then too, so a missing file or a wrong password fails at start-up naming
 * the setting, not later as a client's stack trace.
 *
 * @param brokers bootstrap servers, {@code host:port}
 * @param topic the topic of the change stream
 * @param partitioning how records are spread over the topic's partitions (producer side)
 * @param createTopic whether the producer creates the topic when it is missing
 * @param partitions partitions of a topic the producer creates (default 1)
 * @param compression how the producer compresses record batches: lz4 (default), zstd, snappy, gzip
 *     or none
 * @param securityProtocol PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (default PLAINTEXT)
 * @param saslMechanism PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (default PLAIN)
 * @param saslUsername user for SASL, empty for none
 * @param saslPassword password for SASL; a secret, never printed ({@link #toString()} masks it)
 * @param truststore PKCS12 truststore (JKS by a {@code .jks} name) for TLS, empty for the JVM's
 *     default trust; it must open with {@code truststorePassword} and hold a certificate
 * @param truststorePassword the truststore's password; a secret
 */
public record KafkaSettings(
        List<String> brokers,
        String topic,
        Partitioning partitioning,
        boolean createTopic,
        int partitions,
        String compression,
        String securityProtocol,
        String saslMechanism,
        String saslUsername,
        String saslPassword,
        Optional<Path> truststore,
        String truststorePassword) {

    /** Compression types of Kafka's producer that Sluice offers; every consumer reads them all. */
    public static final List<String> COMPRESSIONS = List.of("lz4", "zstd", "snappy", "gzip", "none");

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
        securityProtocol = oneOf("kafka.security_protocol", securityProtocol.toUpperCase(Locale.ROOT), PROTOCOLS);
        saslMechanism = oneOf("kafka.sasl_mechanism", saslMechanism.toUpperCase(Locale.ROOT), MECHANISMS);
        requireConfig(partitions >= 1, "kafka.partitions: %d is not allowed (expected 1 or more)", partitions);
        compression = oneOf("kafka.compression", compression.toLowerCase(Locale.ROOT), COMPRESSIONS);
        boolean sasl = securityProtocol.startsWith("SASL_");
        requireConfig(
                !sasl || !saslUsername.isEmpty(),
                "kafka.security_protocol %s needs kafka.sasl_username and kafka.sasl_password (SLUICE_KAFKA_SASL_PASSWORD)",
                securityProtocol);
        truststore.ifPresent(path -> checkTruststore(path, truststorePassword));
    }

    /** The setting's value, checked to be one of those allowed. */
    private static String oneOf(String key, String value, List<String> allowed) {
        requireConfig(
                allowed.contains(value),
                "%s: '%s' is not allowed (expected one of %s)",
                key,
                value,
                String.join(", ", allowed));
        return value;
    }

    /** Opens the truststore as the clients will, so that what they would fail on is reported here. */
    private static void checkTruststore(Path path, String password) {
        String type = truststoreType(path);
        requireConfig(
                Files.isRegularFile(path) && Files.isReadable(path),
                "kafka.ssl_truststore: %s is not a readable file (expected a %s truststore)",
                path,
                type);
        KeyStore store;
        try (InputStream in = Files.newInputStream(path)) {
            store = KeyStore.getInstance(type);
            store.load(in, password.isEmpty() ? null : password.toCharArray());
        } catch (IOException | GeneralSecurityException e) {
            // The JDK's message says "password was incorrect" or what it could not parse; it never holds the password.
            throw new SluiceException(
                    Reason.CONFIG,
                    "kafka.ssl_truststore: cannot open " + path + " as a " + type + " truststore with"
                            + " kafka.ssl_truststore_password (" + (password.isEmpty() ? "not set" : "set") + "): "
                            + e.getMessage() + ". Check the password (SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD) and that"
                            + " the file is " + type
                            + (type.equals("JKS") ? "" : " (a JKS truststore needs a .jks name)")
                            + ".",
                    e);
        }
        boolean trusts;
        try {
            trusts = Collections.list(store.aliases()).stream().anyMatch(alias -> isCertificate(store, alias));
        } catch (GeneralSecurityException e) {
            throw new SluiceException(Reason.CONFIG, "kafka.ssl_truststore: cannot read " + path, e);
        }
        requireConfig(
                trusts,
                "kafka.ssl_truststore: %s holds no certificate%s (expected the CA that signed the brokers' certificates)",
                path,
                password.isEmpty() ? " readable without kafka.ssl_truststore_password" : "");
    }

    private static boolean isCertificate(KeyStore store, String alias) {
        try {
            // A key entry's certificate is trusted too, as the JDK's trust manager does.
            return store.getCertificate(alias) != null;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String truststoreType(Path path) {
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jks") ? "JKS" : "PKCS12";
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
            p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, truststoreType(truststore.get()));
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
