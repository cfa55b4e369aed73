package dev.sluice.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.testing.TestTls;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLHandshakeException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security settings without a broker: the truststore checks made at start-up, and the messages
 * client failures become. The broker's side is in {@code KafkaSecurityTest}.
 */
class KafkaSettingsTest {

    private static final String SASL_SECRET = "sasl-Pa55-word";
    private static final String STORE_SECRET = "store-Pa55-word";

    @TempDir
    Path dir;

    private static KafkaSettings settings(String protocol, Optional<Path> truststore, String truststorePassword) {
        return new KafkaSettings(
                List.of("k1:9093", "k2:9093"),
                "changes",
                Partitioning.SCHEMA,
                false,
                1,
                "lz4",
                protocol,
                "scram-sha-256",
                "sluice",
                SASL_SECRET,
                truststore,
                truststorePassword);
    }

    /** Settings that differ only in the three chosen from fixed lists. */
    private static KafkaSettings choices(String compression, String protocol, String mechanism) {
        return new KafkaSettings(
                List.of("k1:9093"),
                "changes",
                Partitioning.SCHEMA,
                false,
                1,
                compression,
                protocol,
                mechanism,
                "",
                "",
                Optional.empty(),
                "");
    }

    @Test
    void choiceSettingsNameTheValueFoundAndTheValuesAllowed() {
        assertThatThrownBy(() -> settings("tls", Optional.empty(), ""))
                .isInstanceOf(SluiceException.class)
                .hasMessage("kafka.security_protocol: 'TLS' is not allowed"
                        + " (expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL)");
        assertThatThrownBy(() -> choices("Brotli", "plaintext", "gssapi"))
                .isInstanceOf(SluiceException.class)
                .hasMessage("kafka.sasl_mechanism: 'GSSAPI' is not allowed"
                        + " (expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)");
        assertThatThrownBy(() -> choices("Brotli", "plaintext", "plain"))
                .isInstanceOf(SluiceException.class)
                .hasMessage(
                        "kafka.compression: 'brotli' is not allowed (expected one of lz4, zstd, snappy, gzip, none)");
    }

    @Test
    void truststoreThatOpensIsPassedToEveryClient() {
        Path truststore = TestTls.generate(dir, STORE_SECRET).truststore();
        KafkaSettings s = settings("sasl_ssl", Optional.of(truststore), STORE_SECRET);
        assertThat(s.clientProperties())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                .containsEntry("ssl.truststore.location", truststore.toString())
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.truststore.password", STORE_SECRET);
        assertThat(s.toString()).doesNotContain(SASL_SECRET).doesNotContain(STORE_SECRET);
    }

    @Test
    void missingTruststoreFileFailsNamingTheSetting() {
        Path missing = dir.resolve("missing.p12");
        assertThatThrownBy(() -> settings("SSL", Optional.of(missing), STORE_SECRET))
                .isInstanceOf(SluiceException.class)
                .hasMessage(
                        "kafka.ssl_truststore: " + missing + " is not a readable file (expected a PKCS12 truststore)")
                .extracting(e -> ((SluiceException) e).reason())
                .isEqualTo(Reason.CONFIG);
    }

    @Test
    void wrongTruststorePasswordFailsNamingTheSettingNotThePassword() {
        Path truststore = TestTls.generate(dir, STORE_SECRET).truststore();
        assertThatThrownBy(() -> settings("SSL", Optional.of(truststore), "wrong-" + STORE_SECRET))
                .isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("kafka.ssl_truststore: cannot open " + truststore
                        + " as a PKCS12 truststore with kafka.ssl_truststore_password (set): ")
                .hasMessageContaining("password was incorrect")
                .hasMessageContaining("SLUICE_KAFKA_SSL_TRUSTSTORE_PASSWORD")
                .hasMessageNotContaining(STORE_SECRET);
    }

    @Test
    void fileThatIsNoKeystoreFailsSayingWhichTypeWasExpected() throws Exception {
        Path pem = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
        assertThatThrownBy(() -> settings("SSL", Optional.of(pem), ""))
                .hasMessageStartingWith("kafka.ssl_truststore: cannot open " + pem + " as a PKCS12 truststore with"
                        + " kafka.ssl_truststore_password (not set)")
                .hasMessageContaining("a JKS truststore needs a .jks name");
    }

    @Test
    void truststoreWithoutCertificatesIsRefused() throws Exception {
        Path empty = dir.resolve("empty.jks");
        KeyStore store = KeyStore.getInstance("JKS");
        store.load(null, null);
        try (OutputStream out = Files.newOutputStream(empty)) {
            store.store(out, STORE_SECRET.toCharArray());
        }
        assertThatThrownBy(() -> settings("SSL", Optional.of(empty), STORE_SECRET))
                .hasMessage("kafka.ssl_truststore: " + empty + " holds no certificate (expected the CA that signed"
                        + " the brokers' certificates)");
    }

    @Test
    void pkcs12TruststoreReadWithoutItsPasswordIsRefused() {
        // The JDK encrypts a PKCS12 store's certificates; without the password it sees none.
        Path truststore = TestTls.generate(dir, STORE_SECRET).truststore();
        assertThatThrownBy(() -> settings("SSL", Optional.of(truststore), ""))
                .hasMessage("kafka.ssl_truststore: " + truststore + " holds no certificate readable without"
                        + " kafka.ssl_truststore_password (expected the CA that signed the brokers' certificates)");
    }

    @Test
    void untrustedCertificateIsATlsFailureNamingTheTruststore() {
        Path truststore = TestTls.generate(dir, STORE_SECRET).truststore();
        KafkaSettings s = settings("SASL_SSL", Optional.of(truststore), STORE_SECRET);
        SslAuthenticationException handshake = new SslAuthenticationException(
                "SSL handshake failed",
                new SSLHandshakeException("PKIX path building failed", new CertificateException("no path")));
        SluiceException e = KafkaTopic.failure(s, Reason.SOURCE_UNREACHABLE, "reading topic changes", handshake);
        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
        assertThat(e.getMessage())
                .startsWith("Kafka brokers k1:9093,k2:9093: TLS handshake failed while reading topic changes: their"
                        + " certificate is not trusted by kafka.ssl_truststore " + truststore + " (")
                .doesNotContain("kafka.sasl_password");
    }

    @Test
    void handshakeWithAPlainListenerSaysToCheckTheProtocol() {
        KafkaSettings s = settings("SSL", Optional.empty(), "");
        SluiceException e = KafkaTopic.failure(
                s,
                Reason.SOURCE_UNREACHABLE,
                "reading topic changes",
                new SslAuthenticationException(
                        "SSL handshake failed", new SSLHandshakeException("Unsupported or unrecognized SSL message")));
        assertThat(e.getMessage())
                .contains("TLS handshake failed while reading topic changes: Unsupported or unrecognized SSL message."
                        + " Check that the listener at kafka.brokers speaks TLS (kafka.security_protocol SSL); trusted:"
                        + " the JVM's default CAs (kafka.ssl_truststore is not set).");
    }

    @Test
    void refusedCredentialsSayAuthenticationFailedAndMaskAnEchoedPassword() {
        KafkaSettings s = settings("SASL_PLAINTEXT", Optional.empty(), "");
        // Wrapped as a producer wraps it, with a broker message that (hypothetically) echoes the password.
        KafkaException wrapped = new KafkaException(
                "an earlier record was not accepted",
                new SaslAuthenticationException("Authentication failed for password " + SASL_SECRET));
        SluiceException e = KafkaTopic.failure(s, Reason.TARGET_UNREACHABLE, "publishing to changes", wrapped);
        assertThat(e.reason()).isEqualTo(Reason.AUTHENTICATION);
        assertThat(e.getMessage())
                .startsWith("Kafka brokers k1:9093,k2:9093: authentication failed while publishing to changes"
                        + " (SASL_PLAINTEXT, mechanism SCRAM-SHA-256, user 'sluice'): ")
                .contains("Authentication failed for password ****")
                .contains("Check kafka.sasl_username, kafka.sasl_password (SLUICE_KAFKA_SASL_PASSWORD)")
                .doesNotContain(SASL_SECRET);
    }

    @Test
    void otherFailuresKeepEveryCauseOnceWithPasswordsMasked() {
        Path truststore = TestTls.generate(dir, STORE_SECRET).truststore();
        KafkaSettings s = settings("SSL", Optional.of(truststore), STORE_SECRET);
        KafkaException e = new KafkaException(
                "Failed to create new KafkaAdminClient",
                new KafkaException("Failed to load SSL keystore with " + STORE_SECRET));
        assertThat(KafkaTopic.failure(s, Reason.SOURCE_UNREACHABLE, "connecting", e)
                        .getMessage())
                .isEqualTo("Kafka brokers k1:9093,k2:9093 failed while connecting: Failed to create new"
                        + " KafkaAdminClient: Failed to load SSL keystore with ****");
    }
}
