package dev.sluice.pipeline.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting Sluice reads: its key in {@code sluice.yaml}, its environment variable and flag,
 * its default and its meaning. Validation, the CLI and the reference in the README all come from
 * this one list.
 */
public enum Setting {
    SOURCE_URL(
            "source.url",
            "--source-url",
            null,
            Kind.URL,
            "Production database, postgres://user:password@host:5432/db."),
    SOURCE_SLOT(
            "source.slot", "--slot", "sluice", Kind.IDENTIFIER, "Logical replication slot Sluice creates and reads."),
    SOURCE_PUBLICATION(
            "source.publication",
            "--publication",
            "sluice",
            Kind.IDENTIFIER,
            "Publication that lists the replicated tables."),
    SOURCE_TABLES(
            "source.tables",
            "--tables",
            "*",
            Kind.LIST,
            "Tables to replicate: schema.table patterns with * and ?, ! to exclude (e.g. public.*, !audit.*)."),
    SOURCE_STATUS_INTERVAL(
            "source.status_interval",
            "--status-interval",
            "10s",
            Kind.DURATION,
            "How often the slot is told what the target holds (must stay below the server's wal_sender_timeout)."),
    SOURCE_SEQUENCE_SYNC_INTERVAL(
            "source.sequence_sync_interval",
            "--sequence-sync-interval",
            "10s",
            Kind.DURATION,
            "How often the target's sequences are moved up to the source's values (never back), and once after"
                    + " a snapshot; with Kafka, how often the producer publishes them for consumers to apply; 0 turns"
                    + " this off."),
    SOURCE_DDL_CAPTURE(
            "source.ddl_capture",
            "--ddl-capture",
            "true",
            Kind.BOOLEAN,
            "Install event triggers on the source (schema sluice) so schema changes replicate; needs a superuser"
                    + " (RDS: rds_superuser, Cloud SQL: cloudsqlsuperuser) at init."),
    DDL_SKIP_THROUGH(
            "ddl.skip_through",
            "--ddl-skip-through",
            "",
            Kind.LSN,
            "Schema changes at or before this source position are not replayed, because they were applied to"
                    + " the target by hand (the error that stopped Sluice names the position)."),
    SNAPSHOT_MODE(
            "snapshot.mode",
            "--snapshot",
            "full",
            Kind.SNAPSHOT_MODE,
            "On a target Sluice has not set up: full (schema and rows), schema, data, or none (stream only)."),
    SNAPSHOT_WORKERS(
            "snapshot.workers",
            "--snapshot-workers",
            "0",
            Kind.NON_NEGATIVE_INT,
            "Parallel COPY workers; 0 means one per core."),
    SNAPSHOT_SCHEMA_ONLY_TABLES(
            "snapshot.schema_only_tables",
            "--schema-only-tables",
            "",
            Kind.LIST,
            "Tables (patterns as in source.tables) whose structure is copied but not their rows; their changes still stream."),
    SNAPSHOT_PG_DUMP(
            "snapshot.pg_dump",
            "--pg-dump",
            "",
            Kind.STRING,
            "pg_dump to use for the schema; empty finds the newest installed (it must be at least the server's version)."),
    SNAPSHOT_PROGRESS(
            "snapshot.progress",
            "--progress",
            "auto",
            Kind.PROGRESS,
            "How snapshot progress shows: bar (live on the terminal), log (a line every 10 s), none, or auto (bar on a"
                    + " terminal, else log)."),
    TRANSFORM_FILE(
            "transform.file",
            "--transform",
            "",
            Kind.FILE,
            "Anonymization rules (transform.yaml, pgstream's format); the key comes from SLUICE_KEY or"
                    + " SLUICE_KEY_FILE. Empty: rows are copied and streamed unchanged."),
    TARGET_URL(
            "target.url", "--target-url", null, Kind.URL, "Staging database, postgres://user:password@host:5432/db."),
    SINK_BATCH_ROWS(
            "sink.batch_rows",
            "--batch-rows",
            "10000",
            Kind.POSITIVE_INT,
            "Row changes buffered, and folded per key, before they are written to the target."),
    SINK_GROUP_MAX_ROWS(
            "sink.group_max_rows",
            "--group-max-rows",
            "50000",
            Kind.POSITIVE_INT,
            "Small source transactions share one target transaction up to this many rows."),
    SINK_GROUP_MAX_DELAY(
            "sink.group_max_delay",
            "--group-max-delay",
            "200ms",
            Kind.DURATION,
            "... or until the first of them has waited this long."),
    KAFKA_BROKERS(
            "kafka.brokers",
            "--kafka-brokers",
            "",
            Kind.LIST,
            "Kafka bootstrap servers (host:port). With source.url: publish the stream to kafka.topic instead of a"
                    + " target; with target.url: apply kafka.topic to the target as consumer group kafka.group."),
    KAFKA_TOPIC(
            "kafka.topic", "--topic", "", Kind.NAME, "Kafka topic of the change stream; needed with kafka.brokers."),
    KAFKA_GROUP(
            "kafka.group",
            "--group",
            "",
            Kind.NAME,
            "Consumer group of this target (one per staging target); needed to consume from Kafka."),
    KAFKA_PARTITIONING(
            "kafka.partitioning",
            "--partitioning",
            "schema",
            Kind.PARTITIONING,
            "How the producer spreads records over partitions: schema (a schema's rows and DDL in order), table, or"
                    + " key (primary key); see docs/KAFKA.md for what each keeps in order."),
    KAFKA_CREATE_TOPIC(
            "kafka.create_topic",
            "--create-topic",
            "false",
            Kind.BOOLEAN,
            "Let the producer create a missing topic (kafka.partitions partitions, unlimited retention)."),
    KAFKA_PARTITIONS(
            "kafka.partitions", "--partitions", "1", Kind.POSITIVE_INT, "Partitions of a topic the producer creates."),
    KAFKA_COMPRESSION(
            "kafka.compression",
            "--kafka-compression",
            "lz4",
            Kind.COMPRESSION,
            "How the producer compresses what it publishes: lz4 (fast, about 5:1 on Sluice's JSON), zstd (smaller,"
                    + " more CPU), snappy, gzip or none; consumers read any."),
    KAFKA_TRANSACTION_TIMEOUT(
            "kafka.transaction_timeout",
            "--kafka-transaction-timeout",
            "15m",
            Kind.TIMEOUT,
            "Longest a producer's Kafka transaction may stay open, which the initial copy and the largest source"
                    + " transaction must be published within; at most the brokers' transaction.max.timeout.ms."),
    KAFKA_SECURITY_PROTOCOL(
            "kafka.security_protocol",
            "--kafka-security-protocol",
            "PLAINTEXT",
            Kind.SECURITY_PROTOCOL,
            "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL."),
    KAFKA_SASL_MECHANISM(
            "kafka.sasl_mechanism",
            "--kafka-sasl-mechanism",
            "PLAIN",
            Kind.SASL_MECHANISM,
            "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512, with a SASL security protocol."),
    KAFKA_SASL_USERNAME(
            "kafka.sasl_username", "--kafka-sasl-username", "", Kind.NAME, "SASL user, with a SASL security protocol."),
    KAFKA_SASL_PASSWORD(
            "kafka.sasl_password",
            "--kafka-sasl-password",
            "",
            Kind.SECRET,
            "SASL password; a secret, never logged: prefer the environment variable to the flag."),
    KAFKA_SSL_TRUSTSTORE(
            "kafka.ssl_truststore",
            "--kafka-ssl-truststore",
            "",
            Kind.FILE,
            "Truststore (PKCS12, or JKS by its .jks name) for SSL and SASL_SSL; empty trusts the JVM's CAs."),
    KAFKA_SSL_TRUSTSTORE_PASSWORD(
            "kafka.ssl_truststore_password",
            "--kafka-ssl-truststore-password",
            "",
            Kind.SECRET,
            "Password of kafka.ssl_truststore; a secret, never logged."),
    SHUTDOWN_TIMEOUT(
            "shutdown.timeout",
            "--shutdown-timeout",
            "25s",
            Kind.DURATION,
            "On SIGTERM or Ctrl-C, how long the transaction in flight may take to finish or roll back before"
                    + " Sluice exits anyway (code 1); below Kubernetes' default grace period of 30 s."),
    METRICS_PORT(
            "metrics.port",
            "--metrics-port",
            "9480",
            Kind.PORT,
            "Port of /metrics (Prometheus) and /healthz; 0 turns them off."),
    METRICS_ADDRESS(
            "metrics.address", "--metrics-address", "0.0.0.0", Kind.STRING, "Address the metrics server listens on."),
    STORE_PATH(
            "store.path",
            "--store",
            "",
            Kind.FILE,
            "Directory of the branch store (on XFS with reflink, btrfs or ZFS for copy-on-write branches);"
                    + " sluice serve opens it, and sluice run replicates into its main instead of a target.url."),
    API_LISTEN(
            "api.listen",
            "--api-listen",
            "127.0.0.1:7654",
            Kind.STRING,
            "HOST:PORT sluice serve answers the branch API on; port 0 picks a free one."),
    API_URL("api.url", "--api-url", "http://127.0.0.1:7654", Kind.STRING, "Where sluice branch finds the branch API."),
    API_TOKEN(
            "api.token",
            "--api-token",
            null,
            Kind.STRING,
            "Bearer token the branch API requires (serve) and sends (branch); prefer the environment to the flag."
                    + " Never logged.");

    /** What values a setting accepts; also the text used in error messages. */
    public enum Kind {
        STRING("text"),
        FILE("a file path"),
        IDENTIFIER("a PostgreSQL identifier: lower-case letters, digits and _"),
        URL("a postgres:// URL"),
        LIST("a list (YAML list, or comma-separated in flags and environment)"),
        POSITIVE_INT("a whole number of 1 or more"),
        NON_NEGATIVE_INT("a whole number of 0 or more"),
        SNAPSHOT_MODE("one of full, schema, data, none"),
        PROGRESS("one of auto, bar, log, none"),
        PORT("a port number from 0 to 65535"),
        DURATION("a duration such as 500ms, 10s, 5m"),
        /** A duration Kafka's clients take as an int of milliseconds. */
        TIMEOUT("a duration from 1ms to 596h, such as 15m"),
        BOOLEAN("true or false"),
        LSN("a WAL position such as 0/16B3748"),
        NAME("a name of letters, digits, '.', '_' and '-'"),
        PARTITIONING("one of schema, table, key"),
        SECURITY_PROTOCOL("one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
        SASL_MECHANISM("one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
        COMPRESSION("one of lz4, zstd, snappy, gzip, none"),
        /** Text that must never appear in a message or a log. */
        SECRET("a secret");

        private final String expected;

        Kind(String expected) {
            this.expected = expected;
        }

        public String expected() {
            return expected;
        }
    }

    private final String key;
    private final String flag;
    private final String defaultValue;
    private final Kind kind;
    private final String description;

    Setting(String key, String flag, String defaultValue, Kind kind, String description) {
        this.key = key;
        this.flag = flag;
        this.defaultValue = defaultValue;
        this.kind = kind;
        this.description = description;
    }

    public String key() {
        return key;
    }

    /** {@code source.url} is read from {@code SLUICE_SOURCE_URL}. */
    public String env() {
        return "SLUICE_" + key.replace('.', '_').toUpperCase(Locale.ROOT);
    }

    public String flag() {
        return flag;
    }

    /** The default as text, or {@code null} when the setting has none and must be given. */
    public String defaultValue() {
        return defaultValue;
    }

    public Kind kind() {
        return kind;
    }

    public String description() {
        return description;
    }

    public static Optional<Setting> byKey(String key) {
        return Arrays.stream(values()).filter(s -> s.key.equals(key)).findFirst();
    }
}
