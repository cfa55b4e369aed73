package dev.sluice.pipeline.config;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.snapshot.progress.ProgressDisplay;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Settings after merging defaults, {@code sluice.yaml}, {@code SLUICE_*} variables and flags, each
 * parsed and checked once. Settings without a default are checked for presence only by the commands
 * that need them, so {@code sluice status} does not ask for a target.
 */
public final class SluiceConfig {

    private final Map<Setting, Object> values;

    /** Built on first use and kept: building opens the truststore, and the metrics ask often. */
    private volatile java.util.Optional<KafkaSettings> kafka;

    SluiceConfig(Map<Setting, Object> values) {
        this.values = new EnumMap<>(values);
    }

    private Object required(Setting setting) {
        Object value = values.get(setting);
        if (value == null) {
            throw missing(setting);
        }
        return value;
    }

    private static SluiceException missing(Setting setting) {
        return new SluiceException(
                Reason.CONFIG,
                setting.key() + " is not set: pass " + setting.flag() + ", set " + setting.env() + ", or add "
                        + setting.key() + " to sluice.yaml (" + setting.description() + ")");
    }

    public PgUrl sourceUrl() {
        return (PgUrl) required(Setting.SOURCE_URL);
    }

    public PgUrl targetUrl() {
        return (PgUrl) required(Setting.TARGET_URL);
    }

    public boolean hasTargetUrl() {
        return values.get(Setting.TARGET_URL) != null;
    }

    public String slot() {
        return (String) required(Setting.SOURCE_SLOT);
    }

    public String publication() {
        return (String) required(Setting.SOURCE_PUBLICATION);
    }

    @SuppressWarnings("unchecked")
    public TableFilter tables() {
        List<String> patterns = (List<String>) required(Setting.SOURCE_TABLES);
        return TableFilter.of(Setting.SOURCE_TABLES.key(), patterns.equals(List.of("*")) ? List.of() : patterns);
    }

    /** What `run` copies before streaming, on a target Sluice has not set up. */
    public enum SnapshotMode {
        FULL,
        SCHEMA,
        DATA,
        NONE;

        public boolean copiesSchema() {
            return this == FULL || this == SCHEMA;
        }

        public boolean copiesRows() {
            return this == FULL || this == DATA;
        }
    }

    public SnapshotMode snapshotMode() {
        return SnapshotMode.valueOf(((String) required(Setting.SNAPSHOT_MODE)).toUpperCase(java.util.Locale.ROOT));
    }

    /** Copy workers; the number of cores when set to 0. */
    public int snapshotWorkers() {
        int n = (Integer) required(Setting.SNAPSHOT_WORKERS);
        return n == 0 ? Runtime.getRuntime().availableProcessors() : n;
    }

    /** Tables whose structure a snapshot copies but not their rows. */
    @SuppressWarnings("unchecked")
    public Predicate<TableId> schemaOnlyTables() {
        List<String> patterns = (List<String>) required(Setting.SNAPSHOT_SCHEMA_ONLY_TABLES);
        if (patterns.isEmpty()) {
            return table -> false;
        }
        return TableFilter.of(Setting.SNAPSHOT_SCHEMA_ONLY_TABLES.key(), patterns)::includes;
    }

    /** The pg_dump to use, or null to find one. */
    public java.nio.file.Path pgDump() {
        String path = (String) values.get(Setting.SNAPSHOT_PG_DUMP);
        return path == null || path.isBlank() ? null : java.nio.file.Path.of(path);
    }

    /** How snapshot progress shows: bars on a terminal, a log line, nothing. */
    public ProgressDisplay.Mode snapshotProgress() {
        return ProgressDisplay.Mode.parse((String) required(Setting.SNAPSHOT_PROGRESS));
    }

    /** The anonymization rules file, when rows are to be anonymized. */
    public java.util.Optional<java.nio.file.Path> transformFile() {
        String path = (String) values.get(Setting.TRANSFORM_FILE);
        return path == null || path.isBlank()
                ? java.util.Optional.empty()
                : java.util.Optional.of(java.nio.file.Path.of(path));
    }

    public boolean hasSourceUrl() {
        return values.get(Setting.SOURCE_URL) != null;
    }

    public Duration statusInterval() {
        return (Duration) required(Setting.SOURCE_STATUS_INTERVAL);
    }

    /** How often sequences follow the source; {@link Duration#ZERO} when they do not. */
    public Duration sequenceSyncInterval() {
        return (Duration) required(Setting.SOURCE_SEQUENCE_SYNC_INTERVAL);
    }

    /** Whether DDL capture is installed on the source with the publication. */
    public boolean ddlCapture() {
        return (Boolean) required(Setting.SOURCE_DDL_CAPTURE);
    }

    /** Schema changes at or before this position are not replayed; {@link Lsn#INVALID} when unset. */
    public Lsn ddlSkipThrough() {
        return (Lsn) required(Setting.DDL_SKIP_THROUGH);
    }

    public int batchRows() {
        return (Integer) required(Setting.SINK_BATCH_ROWS);
    }

    public int groupMaxRows() {
        return (Integer) required(Setting.SINK_GROUP_MAX_ROWS);
    }

    public Duration groupMaxDelay() {
        return (Duration) required(Setting.SINK_GROUP_MAX_DELAY);
    }

    public Duration kafkaTransactionTimeout() {
        return (Duration) required(Setting.KAFKA_TRANSACTION_TIMEOUT);
    }

    public Duration shutdownTimeout() {
        return (Duration) required(Setting.SHUTDOWN_TIMEOUT);
    }

    /**
     * The Kafka cluster and topic, when {@code kafka.brokers} is set: then {@code run} publishes to
     * the topic (with {@code source.url}) or applies it to the target (without).
     */
    public java.util.Optional<KafkaSettings> kafka() {
        java.util.Optional<KafkaSettings> built = kafka;
        if (built == null) {
            built = buildKafka();
            kafka = built;
        }
        return built;
    }

    @SuppressWarnings("unchecked")
    private java.util.Optional<KafkaSettings> buildKafka() {
        List<String> brokers = (List<String>) values.get(Setting.KAFKA_BROKERS);
        if (brokers == null || brokers.isEmpty()) {
            return java.util.Optional.empty();
        }
        String topic = (String) values.get(Setting.KAFKA_TOPIC);
        if (topic == null || topic.isEmpty()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "kafka.topic is not set: pass --topic, set SLUICE_KAFKA_TOPIC, or add kafka.topic to sluice.yaml"
                            + " (Kafka topic of the change stream; needed with kafka.brokers)");
        }
        String truststore = (String) values.get(Setting.KAFKA_SSL_TRUSTSTORE);
        try {
            return java.util.Optional.of(new KafkaSettings(
                    brokers,
                    topic,
                    Partitioning.parse((String) required(Setting.KAFKA_PARTITIONING)),
                    (Boolean) required(Setting.KAFKA_CREATE_TOPIC),
                    (Integer) required(Setting.KAFKA_PARTITIONS),
                    (String) required(Setting.KAFKA_COMPRESSION),
                    (String) required(Setting.KAFKA_SECURITY_PROTOCOL),
                    (String) required(Setting.KAFKA_SASL_MECHANISM),
                    text(Setting.KAFKA_SASL_USERNAME),
                    text(Setting.KAFKA_SASL_PASSWORD),
                    truststore == null || truststore.isBlank()
                            ? java.util.Optional.empty()
                            : java.util.Optional.of(java.nio.file.Path.of(truststore)),
                    text(Setting.KAFKA_SSL_TRUSTSTORE_PASSWORD)));
        } catch (IllegalArgumentException e) {
            throw new SluiceException(Reason.CONFIG, e.getMessage());
        }
    }

    /** The consumer group of this target; required to consume from Kafka. */
    public String kafkaGroup() {
        String group = text(Setting.KAFKA_GROUP);
        if (group.isEmpty()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "kafka.group is not set: pass --group, set SLUICE_KAFKA_GROUP, or add kafka.group to sluice.yaml"
                            + " (" + Setting.KAFKA_GROUP.description() + ")");
        }
        return group;
    }

    private String text(Setting setting) {
        Object value = values.get(setting);
        return value == null ? "" : (String) value;
    }

    public int metricsPort() {
        return (Integer) required(Setting.METRICS_PORT);
    }

    public String metricsAddress() {
        return (String) required(Setting.METRICS_ADDRESS);
    }

    /** Whether a branch store is configured: {@code run} then writes into its main instead of a target URL. */
    public boolean hasStorePath() {
        String path = (String) values.get(Setting.STORE_PATH);
        return path != null && !path.isBlank();
    }

    /** Whether a token for the branch API is set, so that {@code run --store} serves the API too. */
    public boolean hasApiToken() {
        String token = (String) values.get(Setting.API_TOKEN);
        return token != null && !token.isBlank();
    }

    /** The branch store's directory, for the commands that open it. */
    public java.nio.file.Path storePath() {
        String path = (String) values.get(Setting.STORE_PATH);
        if (path == null || path.isBlank()) {
            throw missing(Setting.STORE_PATH);
        }
        return java.nio.file.Path.of(path);
    }

    /** {@code HOST:PORT} of the branch API, as given; {@code ListenAddress} checks it. */
    public String apiListen() {
        return (String) required(Setting.API_LISTEN);
    }

    /** The base URL of the branch API, as given; the client checks it. */
    public String apiUrl() {
        return (String) required(Setting.API_URL);
    }

    /** The branch API's bearer token: a secret, never to be logged or put in a message. */
    public String apiToken() {
        String token = (String) values.get(Setting.API_TOKEN);
        if (token == null || token.isBlank()) {
            throw missing(Setting.API_TOKEN);
        }
        return token;
    }

    /** A copy with one value replaced; used by the demo to wire its embedded servers. */
    public SluiceConfig with(Setting setting, Object value) {
        Map<Setting, Object> copy = new EnumMap<>(values);
        copy.put(setting, value);
        return new SluiceConfig(copy);
    }
}
