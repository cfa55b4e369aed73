package dev.sluice.pipeline.kafka;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The topic of a change stream as the cluster's admin API sees it: whether it exists, its
 * partitions, the producer's state, a consumer group's lag. Every failure becomes a {@link
 * SluiceException} that names the brokers and says what to do, never a client stack trace.
 */
public final class KafkaTopic implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final KafkaSettings settings;
    private final Admin admin;
    private final Reason unreachable;

    /**
     * @param unreachable the reason to report when the brokers do not answer: the pipeline retries
     *     {@code SOURCE_UNREACHABLE} and {@code TARGET_UNREACHABLE} after a successful start
     */
    public KafkaTopic(KafkaSettings settings, Reason unreachable) {
        this.settings = settings;
        this.unreachable = unreachable;
        Map<String, Object> props = new HashMap<>(settings.clientProperties());
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) TIMEOUT.toMillis());
        try {
            this.admin = Admin.create(props);
        } catch (KafkaException e) {
            throw failure("connecting", e);
        }
    }

    /** The group whose committed offset metadata holds the producer's state of {@code topic}. */
    public static String producerGroup(String topic) {
        return "sluice-producer-" + topic;
    }

    /**
     * The topic's partition count; creates the topic when it is missing and {@code create} is
     * set, else fails saying how to create it.
     */
    public int partitions(boolean create) {
        Optional<Integer> found = describe();
        if (found.isPresent()) {
            return found.get();
        }
        if (!create) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Kafka topic '" + settings.topic() + "' does not exist on " + settings.bootstrap()
                            + ". Create it (kafka-topics.sh --bootstrap-server " + settings.bootstrap()
                            + " --create --topic " + settings.topic() + " --partitions 1 --config retention.ms=-1),"
                            + " or let the producer create it with kafka.create_topic: true (and kafka.partitions).");
        }
        await(
                admin.createTopics(List.of(
                                new NewTopic(settings.topic(), Optional.of(settings.partitions()), Optional.empty())
                                        .configs(Map.of("retention.ms", "-1"))))
                        .all(),
                "creating topic " + settings.topic());
        return settings.partitions();
    }

    /** The partition count, or empty when the topic does not exist. */
    public Optional<Integer> describe() {
        try {
            TopicDescription d = admin.describeTopics(List.of(settings.topic()))
                    .allTopicNames()
                    .get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .get(settings.topic());
            return Optional.of(d.partitions().size());
        } catch (ExecutionException e) {
            if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                return Optional.empty();
            }
            throw failure("reading topic " + settings.topic(), e.getCause());
        } catch (TimeoutException e) {
            throw failure("reading topic " + settings.topic(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Interrupted while reading topic " + settings.topic(), e);
        }
    }

    /** What the topic holds, as its producer recorded it; empty for a topic nothing was published to. */
    public Optional<ProducerState> producerState() {
        return committed(producerGroup(settings.topic())).values().stream()
                .findFirst()
                .flatMap(om -> ProducerState.fromMetadata(settings.topic(), om.metadata()));
    }

    /** The committed offsets of {@code group} on the topic, with their metadata; empty for a new group. */
    public Map<TopicPartition, OffsetAndMetadata> committed(String group) {
        Map<TopicPartition, OffsetAndMetadata> all =
                await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata(), "reading group " + group);
        Map<TopicPartition, OffsetAndMetadata> mine = new HashMap<>();
        all.forEach((tp, om) -> {
            if (tp.topic().equals(settings.topic()) && om != null) {
                mine.put(tp, om);
            }
        });
        return mine;
    }

    /**
     * Whether a consumer reading committed records only would find any in the topic. The records of
     * transactions a producer aborted (an initial copy cut short) take offsets but are never seen,
     * so they do not count: reads until it finds one or reaches every partition's end, which after
     * a large aborted copy means reading through it. Fails when reading stops moving for the
     * timeout.
     */
    public boolean holdsCommittedRecords(int partitionCount) {
        Map<String, Object> props = new HashMap<>(settings.clientProperties());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (int p = 0; p < partitionCount; p++) {
                partitions.add(new TopicPartition(settings.topic(), p));
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, TIMEOUT);
            long readUpTo = -1;
            long movedAt = System.nanoTime();
            while (true) {
                long position = 0;
                boolean atEnd = true;
                for (TopicPartition tp : partitions) {
                    long p = consumer.position(tp, TIMEOUT);
                    position += p;
                    atEnd &= p >= ends.get(tp);
                }
                if (atEnd) {
                    return false;
                }
                if (position != readUpTo) {
                    readUpTo = position;
                    movedAt = System.nanoTime();
                } else if (System.nanoTime() - movedAt > TIMEOUT.toNanos()) {
                    throw failure(
                            "reading topic " + settings.topic(), new TimeoutException("no progress in " + TIMEOUT));
                }
                if (!consumer.poll(Duration.ofMillis(200)).isEmpty()) {
                    return true;
                }
            }
        } catch (KafkaException e) {
            throw failure("reading topic " + settings.topic(), e);
        }
    }

    /** Groups with offsets committed on the topic, the producer's own state group left out. */
    public List<String> consumerGroups() {
        List<String> groups = new java.util.ArrayList<>();
        for (var listing : await(admin.listGroups().all(), "listing consumer groups")) {
            String id = listing.groupId();
            if (!id.equals(producerGroup(settings.topic())) && !committed(id).isEmpty()) {
                groups.add(id);
            }
        }
        java.util.Collections.sort(groups);
        return groups;
    }

    /**
     * What the brokers allow, as one broker reports it; each empty when it cannot be read (no right
     * to describe the cluster's configuration, say).
     *
     * @param offsetMetadataMax {@code offset.metadata.max.bytes}: the longest offset metadata, so
     *     producer state, they keep
     * @param offsetsRetention {@code offsets.retention.minutes}: how long a group's offsets, so
     *     producer state, outlive their last commit
     * @param transactionMaxTimeout {@code transaction.max.timeout.ms}: the longest transaction
     *     timeout a producer may ask for
     */
    public record BrokerLimits(
            OptionalInt offsetMetadataMax,
            Optional<Duration> offsetsRetention,
            Optional<Duration> transactionMaxTimeout) {}

    /** Reads the brokers' limits, one round trip for all of them. */
    public BrokerLimits brokerLimits() {
        Optional<Config> config = brokerConfig();
        return new BrokerLimits(
                number(config, "offset.metadata.max.bytes").map(OptionalInt::of).orElse(OptionalInt.empty()),
                number(config, "offsets.retention.minutes").map(Duration::ofMinutes),
                number(config, "transaction.max.timeout.ms").map(Duration::ofMillis));
    }

    private Optional<Config> brokerConfig() {
        try {
            Collection<Node> nodes = await(admin.describeCluster().nodes(), "describing the cluster");
            if (nodes.isEmpty()) {
                return Optional.empty();
            }
            ConfigResource broker = new ConfigResource(
                    ConfigResource.Type.BROKER, nodes.iterator().next().idString());
            return Optional.ofNullable(
                    await(admin.describeConfigs(List.of(broker)).all(), "reading the brokers' settings")
                            .get(broker));
        } catch (SluiceException e) {
            return Optional.empty();
        }
    }

    private static Optional<Integer> number(Optional<Config> config, String name) {
        try {
            return config.map(c -> c.get(name)).map(ConfigEntry::value).map(Integer::parseInt);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The end offset (next offset to be written) of each partition. */
    public Map<Integer, Long> endOffsets(int partitions) {
        return offsets(partitions, OffsetSpec.latest());
    }

    /** The earliest offset still retained in each partition. */
    public Map<Integer, Long> earliestOffsets(int partitions) {
        return offsets(partitions, OffsetSpec.earliest());
    }

    private Map<Integer, Long> offsets(int partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            specs.put(new TopicPartition(settings.topic(), p), spec);
        }
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result =
                await(admin.listOffsets(specs).all(), "reading the end offsets of " + settings.topic());
        Map<Integer, Long> ends = new HashMap<>();
        result.forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
        return ends;
    }

    private <T> T await(org.apache.kafka.common.KafkaFuture<T> future, String what) {
        try {
            return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw failure(what, e.getCause());
        } catch (TimeoutException e) {
            throw failure(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Interrupted while " + what, e);
        }
    }

    /** A message a person can act on for a client failure: brokers named, no stack trace needed. */
    public SluiceException failure(String what, Throwable cause) {
        return failure(settings, unreachable, what, cause);
    }

    /**
     * The same for any Kafka client of {@code settings}: TLS and SASL refusals, denials and
     * timeouts each get their own message; the client's message is kept as a detail, with the
     * settings' passwords masked should a client ever echo one.
     */
    public static SluiceException failure(KafkaSettings settings, Reason unreachable, String what, Throwable cause) {
        String brokers = "Kafka brokers " + settings.bootstrap();
        // Before AuthenticationException: a failed TLS handshake is one too, but no password is at fault.
        Optional<SslAuthenticationException> tls = find(cause, SslAuthenticationException.class);
        if (tls.isPresent()) {
            return tlsFailure(settings, brokers, what, tls.get());
        }
        Optional<AuthenticationException> sasl = find(cause, AuthenticationException.class);
        if (sasl.isPresent()) {
            return new SluiceException(
                    Reason.AUTHENTICATION,
                    brokers + ": authentication failed while " + what + " (" + settings.securityProtocol()
                            + ", mechanism " + settings.saslMechanism() + ", user '" + settings.saslUsername() + "'): "
                            + detail(settings, sasl.get()) + ". Check kafka.sasl_username, kafka.sasl_password"
                            + " (SLUICE_KAFKA_SASL_PASSWORD) and kafka.sasl_mechanism.",
                    cause);
        }
        Optional<AuthorizationException> denied = find(cause, AuthorizationException.class);
        if (denied.isPresent()) {
            return new SluiceException(
                    Reason.PRIVILEGE, brokers + " denied " + what + ": " + detail(settings, denied.get()), cause);
        }
        if (cause instanceof TimeoutException
                || cause instanceof org.apache.kafka.common.errors.TimeoutException
                || cause instanceof org.apache.kafka.common.errors.DisconnectException) {
            return new SluiceException(
                    unreachable,
                    brokers + " did not answer while " + what + " (within " + TIMEOUT.toSeconds()
                            + " s, security protocol " + settings.securityProtocol()
                            + "): check kafka.brokers, the network, and kafka.security_protocol ("
                            + settings.securityProtocol() + " needs " + listener(settings.securityProtocol())
                            + " at that port; a listener of another protocol closes the connection or never answers).",
                    cause);
        }
        return new SluiceException(
                unreachable,
                brokers + " failed while " + what + ": " + (cause == null ? "unknown error" : detail(settings, cause)),
                cause);
    }

    private static String listener(String protocol) {
        return switch (protocol) {
            case "SSL" -> "a TLS listener";
            case "SASL_PLAINTEXT" -> "a SASL listener without TLS";
            case "SASL_SSL" -> "a SASL listener over TLS";
            default -> "a listener without TLS or SASL";
        };
    }

    private static SluiceException tlsFailure(
            KafkaSettings settings, String brokers, String what, SslAuthenticationException e) {
        String trust = settings.truststore()
                .map(p -> "kafka.ssl_truststore " + p)
                .orElse("the JVM's default CAs (kafka.ssl_truststore is not set)");
        boolean certificate = find(e, CertificateException.class).isPresent()
                || find(e, CertPathBuilderException.class).isPresent()
                || find(e, CertPathValidatorException.class).isPresent();
        String message = brokers + ": TLS handshake failed while " + what + ": "
                + (certificate
                        ? "their certificate is not trusted by " + trust + " (" + detail(settings, root(e))
                                + "). Check that it holds the CA that signed the brokers' certificates and that those"
                                + " name the host in kafka.brokers."
                        : detail(settings, root(e)) + ". Check that the listener at kafka.brokers speaks TLS"
                                + " (kafka.security_protocol " + settings.securityProtocol() + "); trusted: " + trust
                                + ".");
        return new SluiceException(Reason.AUTHENTICATION, message, e);
    }

    /** The first of {@code t} and its causes that is a {@code type}. */
    private static <T extends Throwable> Optional<T> find(Throwable t, Class<T> type) {
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return Optional.of(type.cast(t));
            }
        }
        return Optional.empty();
    }

    private static Throwable root(Throwable t) {
        Throwable r = t;
        for (int depth = 0; r.getCause() != null && r.getCause() != r && depth < 10; depth++) {
            r = r.getCause();
        }
        return r;
    }

    /**
     * The messages of {@code t} and its causes, each said once ("Failed to construct kafka consumer:
     * Failed to load SSL keystore ..."), with any password of {@code settings} masked.
     */
    private static String detail(KafkaSettings settings, Throwable t) {
        List<String> parts = new ArrayList<>();
        for (int depth = 0; t != null && depth < 10; t = t.getCause(), depth++) {
            String m = t.getMessage();
            if (m != null && !m.isBlank() && parts.stream().noneMatch(p -> p.contains(m))) {
                parts.add(m.strip());
            }
        }
        String text = parts.isEmpty() ? "unknown error" : String.join(": ", parts);
        for (String secret : List.of(settings.saslPassword(), settings.truststorePassword())) {
            if (!secret.isEmpty()) {
                text = text.replace(secret, "****");
            }
        }
        return text;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
