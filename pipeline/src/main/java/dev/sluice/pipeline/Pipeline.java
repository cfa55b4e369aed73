package dev.sluice.pipeline;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.core.spi.Processor;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.pipeline.sink.kafka.KafkaSink;
import dev.sluice.pipeline.sink.kafka.KafkaSnapshot;
import dev.sluice.pipeline.source.kafka.KafkaSource;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.pipeline.source.postgres.SourceIdentity;
import dev.sluice.pipeline.source.postgres.SourceTable;
import dev.sluice.pipeline.source.postgres.WalSource;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.sink.postgres.PostgresSinkConfig;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SchemaCopier;
import dev.sluice.snapshot.SequenceSync;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.snapshot.progress.SnapshotProgress;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import dev.sluice.transform.rules.TransformerRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a running Sluice is assembled: source, processors and sink, with metrics
 * around them, and the loop that keeps them running across lost connections.
 *
 * <p>{@link #run} blocks until {@link #stop} is called (from another thread or a shutdown hook) or
 * a failure a person must fix. A lost connection after a successful start is retried with backoff;
 * nothing is lost or applied twice across the retry, because the target's progress row decides
 * where streaming resumes.
 */
public final class Pipeline {

    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** What the pipeline is doing, for {@code /healthz} and the demo. */
    public enum State {
        STARTING,
        STREAMING,
        RETRYING,
        STOPPED,
        FAILED
    }

    private final SluiceConfig config;
    private final MeterRegistry registry;
    private final AtomicReference<State> state = new AtomicReference<>(State.STARTING);
    private final AtomicReference<WalSource> current = new AtomicReference<>();
    private final WalSource.Stats sourceStats = new WalSource.Stats();
    private final PostgresSink.Stats sinkStats = new PostgresSink.Stats();
    private final SnapshotProgress snapshotProgress = new SnapshotProgress();
    private final AtomicLong slotRetainedWalBytes = new AtomicLong(-1);
    private final AtomicLong sequencesSynced = new AtomicLong();
    private final Anonymizer.Stats anonymizerStats = new Anonymizer.Stats();
    private final KafkaSink.Stats kafkaSinkStats = new KafkaSink.Stats();
    private final KafkaSource.Stats kafkaSourceStats = new KafkaSource.Stats();
    private final AtomicReference<KafkaSource> consuming = new AtomicReference<>();
    private volatile Set<ColumnRef> uncoveredRecorded = Set.of();
    private final Map<String, String> env;
    private TransformerRegistry transformers = TransformerRegistry.builtins();
    /** Built once at start-up ({@link #prepareAnonymization}); the snapshot and the stream share them. */
    private List<Processor> processors = List.of();

    private volatile boolean stopped;
    private volatile Lsn lastConfirmed = Lsn.INVALID;
    private final boolean resetTarget;
    private String sourceIdentity;
    private Map<TableId, Lsn> copiedLater = Map.of();

    public Pipeline(SluiceConfig config, MeterRegistry registry) {
        this(config, registry, false);
    }

    /**
     * @param resetTarget before copying, drop what Sluice manages on the target (the schemas of the
     *     replicated tables and this pipeline's records) instead of refusing a target holding tables
     */
    public Pipeline(SluiceConfig config, MeterRegistry registry, boolean resetTarget) {
        this(config, registry, resetTarget, System.getenv());
    }

    /**
     * @param env the environment the anonymization key is read from ({@code SLUICE_KEY}, {@code
     *     SLUICE_KEY_FILE})
     */
    public Pipeline(SluiceConfig config, MeterRegistry registry, boolean resetTarget, Map<String, String> env) {
        this.config = config;
        this.registry = registry;
        this.resetTarget = resetTarget;
        this.env = Map.copyOf(env);
        registerMetrics();
    }

    /** Uses these transformers instead of the built-in ones (tests, and the demo's tests). */
    public Pipeline transformers(TransformerRegistry registry) {
        this.transformers = registry;
        return this;
    }

    /** Sink counters; one instance across restarts. */
    public PostgresSink.Stats sinkStats() {
        return sinkStats;
    }

    public State state() {
        return state.get();
    }

    /** Bytes of source WAL not yet applied to the target. */
    public long lagBytes() {
        long applied = publishesKafka() ? kafkaSinkStats.lastPublishedEndLsn.get() : sinkStats.lastAppliedEndLsn.get();
        return new Lsn(sourceStats.serverWalEnd.get()).bytesSince(new Lsn(applied));
    }

    /** Seconds since the oldest source commit not yet durable on the target committed; 0 when caught up. */
    public double lagSeconds() {
        long oldest = sourceStats.oldestUndurableCommitMillis.get();
        return oldest == 0 ? 0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
    }

    /**
     * Copies the source's schema and rows to the target once, under one snapshot, with no slot and
     * no streaming after it ({@code sluice snapshot}); resumes such a copy that was interrupted.
     */
    public void copyOnce() {
        sourceIdentity = SourceIdentity.read(config.sourceUrl());
        prepareAnonymization();
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            new TargetPreparation(config, sourceIdentity, processors(), resetTarget, snapshotProgress).copyOnce(admin);
        }
    }

    /**
     * Checks the source once, then streams until stopped: from the slot to the target or to a Kafka
     * topic, or from a Kafka topic to the target ({@code kafka.brokers} without {@code source.url}).
     */
    public void run() {
        if (consumesKafka()) {
            consumeUntilStopped();
            return;
        }
        try {
            preflight();
        } catch (RuntimeException e) {
            state.set(State.FAILED);
            throw e;
        }
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-slot-poller");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::pollSlot, 0, 10, TimeUnit.SECONDS);
        if (config.transformFile().isPresent() && !publishesKafka()) {
            poller.scheduleWithFixedDelay(this::recordUncoveredColumns, 1, 1, TimeUnit.SECONDS);
        }
        Duration sequenceSync = config.sequenceSyncInterval();
        if (!sequenceSync.isZero() && !publishesKafka()) {
            SequenceFollower sequences = SequenceFollower.scheduled(config, sequencesSynced);
            poller.scheduleWithFixedDelay(sequences::syncOnce, 0, sequenceSync.toNanos(), TimeUnit.NANOSECONDS);
        }
        try {
            streamUntilStopped();
        } finally {
            poller.shutdownNow();
        }
    }

    private void streamUntilStopped() {
        retryUntilStopped(() -> {
            WalSource source = source();
            Sink sink = sink();
            current.set(source);
            return new Attempt() {
                @Override
                public void run() {
                    source.run(sink);
                }

                @Override
                public boolean started() {
                    return source.hasStreamed();
                }

                @Override
                public void stop() {
                    source.stop();
                }

                @Override
                public void close() {
                    try {
                        sink.close();
                    } finally {
                        try {
                            source.close();
                        } finally {
                            lastConfirmed = source.confirmed();
                            current.set(null);
                        }
                    }
                }
            };
        });
    }

    /** One try at streaming, from start to a stop or a failure. */
    private interface Attempt extends AutoCloseable {
        void run();

        /** Whether it got as far as streaming, so that a failure of a reachable server is worth retrying. */
        boolean started();

        /** Asks a run that has begun, or is about to begin, to end. */
        void stop();

        @Override
        void close();
    }

    /**
     * Runs attempts until stopped. A lost source, target or broker after a first successful start is
     * retried with a doubling backoff; anything else, or a failure before any start, is thrown.
     */
    private void retryUntilStopped(Supplier<Attempt> attempts) {
        Duration backoff = Duration.ofSeconds(1);
        boolean started = false;
        while (!stopped) {
            state.set(started ? State.RETRYING : State.STARTING);
            Attempt attempt = attempts.get();
            if (stopped) {
                // stop() ran before this attempt was visible to it.
                attempt.stop();
            }
            try (attempt) {
                state.set(State.STREAMING);
                attempt.run();
            } catch (SluiceException e) {
                started |= attempt.started();
                if (!started || !isTransient(e) || stopped) {
                    state.set(State.FAILED);
                    throw e;
                }
                log.warn("{} Retrying in {} s.", e.getMessage(), backoff.toSeconds());
                sleep(backoff);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
            started = true;
        }
        state.set(State.STOPPED);
    }

    /** Reads how much WAL the slot holds back; a failure only leaves the gauge stale. */
    private void pollSlot() {
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            admin.slot(config.slot()).ifPresent(s -> slotRetainedWalBytes.set(s.retainedWalBytes()));
        } catch (RuntimeException e) {
            log.debug("Could not read the slot's retained WAL: {}", e.getMessage());
        }
    }

    private static boolean isTransient(SluiceException e) {
        return e.reason() == Reason.SOURCE_UNREACHABLE || e.reason() == Reason.TARGET_UNREACHABLE;
    }

    /** Whether this pipeline publishes the source's stream to Kafka instead of applying it to a target. */
    private boolean publishesKafka() {
        return config.kafka().isPresent() && config.hasSourceUrl();
    }

    /** Whether this pipeline applies a Kafka topic to the target. */
    private boolean consumesKafka() {
        return config.kafka().isPresent() && !config.hasSourceUrl();
    }

    /**
     * Consumes the topic until stopped; a lost broker or target after a successful start is retried
     * with backoff, resuming from what the target's progress rows hold.
     */
    private void consumeUntilStopped() {
        KafkaSettings kafka = config.kafka().orElseThrow();
        String group = config.kafkaGroup();
        config.targetUrl();
        retryUntilStopped(() -> {
            KafkaSource source = kafkaSource(kafka, group);
            consuming.set(source);
            return new Attempt() {
                @Override
                public void run() {
                    source.run();
                }

                @Override
                public boolean started() {
                    return source.hasStarted();
                }

                @Override
                public void stop() {
                    source.stop();
                }

                @Override
                public void close() {
                    try {
                        source.close();
                    } finally {
                        consuming.set(null);
                    }
                }
            };
        });
    }

    /**
     * The Kafka source stage: the topic's partitions, each applied through {@link #partitionSink};
     * the values of its {@code sequences} records moved onto the target's sequences.
     */
    KafkaSource kafkaSource(KafkaSettings kafka, String group) {
        SequenceFollower sequences = SequenceFollower.fromKafka(config.targetUrl(), sequencesSynced);
        return new KafkaSource(
                kafka,
                group,
                (partition, source) -> partitionSink(kafka, partition, source),
                sequences::apply,
                kafkaSourceStats);
    }

    /**
     * The PostgreSQL sink of one partition: its progress row is the topic's partition, so each
     * partition's transaction slices are skipped by their own position on redelivery.
     */
    PostgresSink partitionSink(KafkaSettings kafka, int partition, String source) {
        return new PostgresSink(
                new PostgresSinkConfig(
                                config.targetUrl(),
                                kafka.topic() + "#" + partition,
                                config.batchRows(),
                                config.groupMaxRows(),
                                config.groupMaxDelay(),
                                source)
                        .withDdlSkipThrough(config.ddlSkipThrough()),
                sinkStats);
    }

    /** Asks {@link #run} to finish: the transaction in flight is completed or rolled back, the position reported. */
    public void stop() {
        stopped = true;
        KafkaSource consumer = consuming.get();
        if (consumer != null) {
            consumer.stop();
        }
        WalSource source = current.get();
        if (source != null) {
            source.stop();
        }
    }

    /** The position last confirmed to the slot, after {@link #run} returned. */
    public Lsn lastConfirmed() {
        return lastConfirmed;
    }

    private void preflight() {
        sourceIdentity = SourceIdentity.read(config.sourceUrl());
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            admin.requireLogicalWal();
            prepareAnonymization();
            if (publishesKafka()) {
                publishInitialCopyIfNew(admin, config.kafka().orElseThrow());
            } else {
                new TargetPreparation(config, sourceIdentity, processors(), resetTarget, snapshotProgress)
                        .prepareIfNew(admin);
                copiedLater = copiedLater();
            }
            if (admin.slot(config.slot()).isEmpty()) {
                throw new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Replication slot '" + config.slot() + "' does not exist on " + config.sourceUrl()
                                + ". Run `sluice init` first (it creates the publication and the slot).");
            }
            if (!admin.publicationExists(config.publication())) {
                throw new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Publication '" + config.publication() + "' does not exist on " + config.sourceUrl()
                                + ". Run `sluice init` first.");
            }
            List<TableId> published = admin.publishedTables(config.publication());
            List<SourceTable> selected = admin.tables(config.tables());
            String missing = SourceAdmin.describeMissingIdentity(
                    selected.stream().filter(t -> published.contains(t.id())).toList());
            List<String> unpublished = selected.stream()
                    .map(SourceTable::id)
                    .filter(id -> !published.contains(id))
                    .map(TableId::toString)
                    .toList();
            if (!unpublished.isEmpty()) {
                log.warn(
                        "{} table(s) match source.tables but are not in publication '{}', so their changes are not"
                                + " streamed: {}. Run `sluice init` again to add them.",
                        unpublished.size(),
                        config.publication(),
                        String.join(", ", unpublished));
            }
            if (!missing.isEmpty()) {
                throw new SluiceException(Reason.SOURCE_NOT_READY, missing);
            }
        }
    }

    /**
     * When the topic holds nothing of this source yet: creates the slot with an exported snapshot
     * and publishes the selected tables' schema and (processed) rows as of its consistent point, in
     * one Kafka transaction; streaming then starts right there.
     */
    private void publishInitialCopyIfNew(SourceAdmin admin, KafkaSettings kafka) {
        SluiceConfig.SnapshotMode mode = config.snapshotMode();
        if (mode == SluiceConfig.SnapshotMode.SCHEMA || mode == SluiceConfig.SnapshotMode.DATA) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "snapshot.mode " + mode.name().toLowerCase() + " is not supported with kafka.brokers: use full (the"
                            + " initial copy goes into the topic) or none.");
        }
        if (mode == SluiceConfig.SnapshotMode.NONE || !topicIsNew(kafka)) {
            return;
        }
        admin.publish(config.tables(), config.publication(), config.ddlCapture());
        List<TableId> unlogged = admin.unloggedTables(config.tables());
        List<TableId> tables = admin.tables(config.tables()).stream()
                .map(SourceTable::id)
                .filter(t -> !unlogged.contains(t))
                .toList();
        admin.dropSlot(config.slot());
        try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(config.sourceUrl(), config.slot());
                KafkaSink sink = kafkaSink(kafka)) {
            sink.start(end -> {});
            SchemaCopier schema = SchemaCopier.create(
                            config.pgDump(), config.sourceUrl(), config.sourceUrl(), admin.serverVersionNum() / 10000)
                    .forTables(config.tables()::includes, Set.of());
            new KafkaSnapshot(config.sourceUrl(), schema, processors()).publish(snapshot, tables, sink);
        }
    }

    /**
     * Whether nothing was published to the topic yet (a missing topic fails here, before anything
     * changes on the source). Fails when the topic holds a stream but not its producer's state:
     * Kafka removes a group's offsets, where the state is kept, once none was committed for {@code
     * offsets.retention.minutes} (7 days by default), for instance while the producer was down. A
     * second initial copy behind the first would fail every consumer on its {@code CREATE TABLE}s,
     * and a new slot would have lost the changes in between.
     */
    private static boolean topicIsNew(KafkaSettings kafka) {
        try (KafkaTopic topic = new KafkaTopic(kafka, Reason.TARGET_UNREACHABLE)) {
            int partitions = topic.partitions(kafka.createTopic());
            if (topic.producerState().isPresent()) {
                return false;
            }
            log.info("No producer state for Kafka topic {}: checking that it holds no stream yet", kafka.topic());
            if (topic.holdsCommittedRecords(partitions)) {
                throw new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Kafka topic " + kafka.topic() + " holds a change stream, but its producer's state (the"
                                + " offsets of group " + KafkaTopic.producerGroup(kafka.topic()) + ") is gone:"
                                + " Kafka removes a group's offsets after offsets.retention.minutes (7 days by"
                                + " default) without a commit. Sluice will not publish a second initial copy into"
                                + " it. Publish to a new topic (--topic) and point the consumers at it (each copies"
                                + " it afresh), or delete and recreate this one; raise offsets.retention.minutes"
                                + " on the brokers above the longest time the producer may be down.");
            }
            return true;
        }
    }

    /** Tables a resumed snapshot copied as of a later position than the slot's start, with that position. */
    private Map<TableId, Lsn> copiedLater() {
        if (config.snapshotMode() == SluiceConfig.SnapshotMode.NONE) {
            return Map.of();
        }
        SnapshotLedger ledger = SnapshotLedger.open(config.targetUrl(), config.slot());
        Lsn slotStart = ledger.started().orElse(Lsn.INVALID);
        Map<TableId, Lsn> later = new HashMap<>();
        ledger.copiedTables().forEach((table, step) -> {
            if (slotStart.isValid() && step.position().compareTo(slotStart) > 0) {
                later.put(table, step.position());
            }
        });
        return later;
    }

    WalSource source() {
        return new WalSource(
                config.sourceUrl(),
                config.slot(),
                config.publication(),
                config.statusInterval(),
                config.tables(),
                processors(),
                sourceStats);
    }

    List<Processor> processors() {
        return processors;
    }

    /**
     * Builds the anonymizer the snapshot and the stream share (with {@code transform.file} set) and
     * checks the target was written under the same key; see {@link AnonymizationSetup}.
     */
    private void prepareAnonymization() {
        processors = new AnonymizationSetup(config, env, transformers, anonymizerStats, resetTarget, publishesKafka())
                .prepare();
    }

    /** Records the columns strict mode writes without values, when they changed; run periodically. */
    private void recordUncoveredColumns() {
        Set<ColumnRef> now = anonymizerStats.uncoveredColumns();
        if (now.equals(uncoveredRecorded)) {
            return;
        }
        try {
            UncoveredColumns.replace(config.targetUrl(), config.slot(), now);
            uncoveredRecorded = Set.copyOf(now);
        } catch (RuntimeException e) {
            log.debug("Could not record the columns without a rule on the target: {}", e.getMessage());
        }
    }

    /** The sink stage: a Kafka topic with {@code kafka.brokers}, else the PostgreSQL target. */
    Sink sink() {
        return publishesKafka() ? kafkaSink(config.kafka().orElseThrow()) : postgresSink();
    }

    /** The Kafka sink stage; it publishes the source's sequence values too, unless the interval is 0. */
    KafkaSink kafkaSink(KafkaSettings kafka) {
        KafkaSink sink = new KafkaSink(
                        kafka, sourceIdentity, config.groupMaxRows(), config.groupMaxDelay(), kafkaSinkStats)
                .recordingWithoutValues(anonymizerStats::uncoveredColumns)
                .withTransactionTimeout(config.kafkaTransactionTimeout());
        Duration interval = config.sequenceSyncInterval();
        if (!interval.isZero()) {
            PgUrl source = config.sourceUrl();
            TableFilter tables = config.tables();
            sink.withSequences(() -> SequenceSync.readSource(source, tables), interval);
        }
        return sink;
    }

    PostgresSink postgresSink() {
        return new PostgresSink(
                new PostgresSinkConfig(
                                config.targetUrl(),
                                config.slot(),
                                config.batchRows(),
                                config.groupMaxRows(),
                                config.groupMaxDelay(),
                                sourceIdentity)
                        .withCopiedLater(copiedLater)
                        .withDdlSkipThrough(config.ddlSkipThrough()),
                sinkStats);
    }

    private void registerMetrics() {
        snapshotProgress.bindTo(registry);
        counter("sluice_events", "Change events received from the source", sourceStats.events);
        counter(
                "sluice_row_changes",
                "Row changes (insert, update, delete) received from the source",
                sourceStats.rowChanges);
        counter("sluice_rows_applied", "Row changes applied to the target", sinkStats.rowsApplied);
        counter(
                "sluice_transactions_applied",
                "Source transactions applied to the target",
                sinkStats.transactionsApplied);
        counter(
                "sluice_target_commits",
                "Target transactions committed (each holds one or more source transactions)",
                sinkStats.targetCommits);
        counter("sluice_missing_rows", "Updates and deletes that found no row on the target", sinkStats.missingRows);
        counter(
                "sluice_sequences_synced",
                "Target sequences moved up to the source's values while streaming (directly or from Kafka)",
                sequencesSynced);
        FunctionCounter.builder("sluice_values_transformed", anonymizerStats, Anonymizer.Stats::valuesTransformed)
                .description("Values rewritten by an anonymization rule (noop columns not counted)")
                .register(registry);
        FunctionCounter.builder("sluice_transform_errors", anonymizerStats, Anonymizer.Stats::errorsNulled)
                .description("Values a transformer failed on, written as NULL (on_error: null)")
                .tag("on_error", "null")
                .register(registry);
        FunctionCounter.builder("sluice_transform_errors", anonymizerStats, Anonymizer.Stats::errorsPassedThrough)
                .description("Values a transformer failed on, written unchanged (on_error: pass-through)")
                .tag("on_error", "pass-through")
                .register(registry);
        Gauge.builder(
                        "sluice_columns_without_rule",
                        anonymizerStats,
                        s -> s.uncoveredColumns().size())
                .description("Columns of replicated tables that strict mode writes without their values, for want of"
                        + " a rule (added on the source after streaming began)")
                .register(registry);
        FunctionCounter.builder("sluice_values_without_rule", anonymizerStats, Anonymizer.Stats::uncoveredNulled)
                .description("Values of columns without a rule written as NULL under strict mode")
                .register(registry);
        Gauge.builder("sluice_lag_bytes", this, Pipeline::lagBytes)
                .description("Source WAL bytes not yet applied to the target")
                .baseUnit("bytes")
                .register(registry);
        Gauge.builder("sluice_lag_seconds", this, Pipeline::lagSeconds)
                .description("Age of the oldest source commit not yet applied to the target")
                .baseUnit("seconds")
                .register(registry);
        Gauge.builder("sluice_last_applied_lsn", sinkStats.lastAppliedEndLsn, AtomicLong::get)
                .description("End LSN of the last source transaction committed on the target")
                .register(registry);
        counter(
                "sluice_kafka_records_sent",
                "Kafka records published to the topic (each packs up to about 128 kB of changes)",
                kafkaSinkStats.recordsSent);
        counter(
                "sluice_kafka_transactions_published",
                "Source transactions published to the Kafka topic",
                kafkaSinkStats.transactionsPublished);
        counter(
                "sluice_kafka_sequences_published",
                "Source sequence values published to the Kafka topic (in sequences records)",
                kafkaSinkStats.sequencesPublished);
        counter(
                "sluice_kafka_state_refreshes",
                "Commits of the unchanged producer state while the stream was idle, which keep Kafka from dropping it",
                kafkaSinkStats.stateRefreshes);
        counter(
                "sluice_kafka_records_applied",
                "Sluice records of the Kafka topic (row changes, commits, schema changes, sequences) applied to the"
                        + " target",
                kafkaSourceStats.recordsApplied);
        Gauge.builder("sluice_kafka_published_lsn", kafkaSinkStats.lastPublishedEndLsn, AtomicLong::get)
                .description("End LSN of the last source transaction committed to the Kafka topic")
                .register(registry);
        Gauge.builder("sluice_slot_retained_wal", slotRetainedWalBytes, AtomicLong::get)
                .description("WAL the source keeps for the slot (-1 until first read)")
                .baseUnit("bytes")
                .register(registry);
    }

    private void counter(String name, String description, AtomicLong count) {
        FunctionCounter.builder(name, count, AtomicLong::get)
                .description(description)
                .register(registry);
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
