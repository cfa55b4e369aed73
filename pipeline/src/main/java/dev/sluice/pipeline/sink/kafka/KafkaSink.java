package dev.sluice.pipeline.sink.kafka;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.pipeline.kafka.ProducerState;
import dev.sluice.pipeline.kafka.RecordEncoder;
import dev.sluice.pipeline.kafka.ValueBuffer;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import dev.sluice.snapshot.SequenceSync.SourceSequences;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import dev.sluice.transform.rules.RuleNames;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes source transactions to a Kafka topic (format: {@code docs/KAFKA.md}), exactly once.
 *
 * <p>Records go out in Kafka transactions of a transactional, idempotent producer ({@code
 * acks=all}); small source transactions share one, bounded by rows and time like the PostgreSQL
 * sink's groups. Each Kafka transaction also commits the {@link ProducerState} (the end position of
 * its last source transaction), so the topic and the recorded position never disagree; only after
 * Kafka acknowledged the commit is the position reported to the {@link Checkpoint}, and so to the
 * slot. Consumers read with {@code isolation.level=read_committed}: a transaction the producer did
 * not finish (it crashed) is never seen, and a restart re-publishes it from the slot.
 *
 * <p>A partition's records are packed into Kafka records of up to about 128 kB ({@link
 * ValueBuffer}), sent when full and before each Kafka commit.
 *
 * <p>Records are routed by {@link Partitioning}. A change that concerns more than one partition (a
 * schema change or truncate across them, an update moving a row to another partition) makes the
 * transaction a barrier: every other partition's slice so far is closed, a {@code barrier} record
 * goes to every partition, and the rest of the transaction goes to partition 0.
 *
 * <p>With {@link #withSequences}, the source's sequence values go out as {@code sequences} records
 * between transactions ({@link SequenceRecords} says when and where): with the Kafka transaction
 * being committed (the initial copy's included) once the interval has passed, or in a Kafka
 * transaction of their own when the stream is idle. Either way they are atomic with what the
 * transaction holds, and never seen when it aborts.
 *
 * <p>Not thread-safe: one thread calls {@link #accept}.
 */
public final class KafkaSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(KafkaSink.class);

    /** Counters for metrics, safe to read from any thread. */
    public static final class Stats {
        public final AtomicLong recordsSent = new AtomicLong();
        public final AtomicLong bytesSent = new AtomicLong();
        public final AtomicLong transactionsPublished = new AtomicLong();
        public final AtomicLong kafkaCommits = new AtomicLong();
        public final AtomicLong lastPublishedEndLsn = new AtomicLong();
        /** Sequence values sent in {@code sequences} records. */
        public final AtomicLong sequencesPublished = new AtomicLong();
        /** Kafka transactions that committed the unchanged producer state again, while idle. */
        public final AtomicLong stateRefreshes = new AtomicLong();
    }

    /** At most this many sequences per record, so a record stays far below Kafka's 1 MB default limit. */
    private static final int SEQUENCES_PER_RECORD = 1_000;

    /**
     * An idle producer commits its state again at least this often, and four times within the
     * brokers' {@code offsets.retention.minutes}, after which Kafka would drop it.
     */
    static final Duration STATE_REFRESH_MAX = Duration.ofHours(1);

    /** The brokers' default {@code transaction.max.timeout.ms}, the most they allow unless raised. */
    private static final Duration DEFAULT_TRANSACTION_TIMEOUT = Duration.ofMinutes(15);

    private final KafkaSettings settings;
    private final String source;
    private final int groupMaxRows;
    private final Duration groupMaxDelay;
    private final Stats stats;
    private final RecordEncoder encoder = new RecordEncoder();
    private final AtomicReference<Exception> sendFailure = new AtomicReference<>();

    private KafkaProducer<byte[], byte[]> producer;
    /** The group the producer state is committed under, as the client API hands it out. */
    private ConsumerGroupMetadata stateGroup;

    private Checkpoint checkpoint;
    private int partitions;
    /** Renames of the schema changes published, from the state on: committed with each transaction. */
    private RuleNames renamed = new RuleNames();
    /** The columns anonymization writes without values now, committed with each transaction. */
    private Supplier<Set<ColumnRef>> withoutValues = Set::of;
    /** The brokers' offset.metadata.max.bytes, which the state must fit in. */
    private int stateMax = ProducerState.DEFAULT_METADATA_MAX;
    /** The state last committed (or found at start), which an idle producer commits again. */
    private ProducerState committedState;

    private long stateCommittedAt;
    /** How long an idle producer waits to commit its state again; from the brokers' retention unless set. */
    private Duration stateRefresh;

    private Duration transactionTimeout = DEFAULT_TRANSACTION_TIMEOUT;

    private boolean inKafkaTransaction;
    private long kafkaTransactionStart;
    private int rowsInKafkaTransaction;
    private Commit pendingCommit;

    private Begin current;
    private boolean snapshot;
    private boolean barrier;
    private boolean[] open;
    /** Per partition, the relations described in its open slice, by OID, as last described. */
    private List<Map<Integer, Relation>> announced;

    private ValueBuffer[] values;

    private Supplier<SourceSequences> sequenceReader;
    private Duration sequenceInterval;
    private SequenceRecords sequences;

    /**
     * @param source the source database's identity, written into every transaction's begin
     * @param groupMaxRows a Kafka transaction is committed once it holds this many rows ...
     * @param groupMaxDelay ... or once it has been open this long
     */
    public KafkaSink(KafkaSettings settings, String source, int groupMaxRows, Duration groupMaxDelay, Stats stats) {
        this.settings = settings;
        this.source = source;
        this.groupMaxRows = groupMaxRows;
        this.groupMaxDelay = groupMaxDelay;
        this.stats = stats;
    }

    /**
     * Records these columns, which anonymization writes without their values for want of a rule,
     * with each Kafka transaction, so that a restarted producer knows them (they would otherwise
     * stop its start under strict mode).
     */
    public KafkaSink recordingWithoutValues(Supplier<Set<ColumnRef>> columns) {
        this.withoutValues = columns;
        return this;
    }

    /**
     * Publishes the source's sequence values too, read with {@code reader} at most every {@code
     * interval}; call before {@link #start}.
     */
    public KafkaSink withSequences(Supplier<SourceSequences> reader, Duration interval) {
        this.sequenceReader = reader;
        this.sequenceInterval = interval;
        return this;
    }

    /**
     * How long a Kafka transaction may stay open before the brokers abort it: the initial copy is
     * one, and a source transaction is never split over two. Call before {@link #start}.
     */
    public KafkaSink withTransactionTimeout(Duration timeout) {
        this.transactionTimeout = timeout;
        return this;
    }

    /** Commits the producer state again after this long idle, whatever the brokers' retention; for tests. */
    KafkaSink refreshingStateEvery(Duration interval) {
        this.stateRefresh = interval;
        return this;
    }

    /**
     * How often an idle producer commits its state again: a quarter of the brokers' offset
     * retention, at most {@link #STATE_REFRESH_MAX}.
     */
    static Duration stateRefresh(Optional<Duration> offsetsRetention) {
        return offsetsRetention
                .map(r -> r.dividedBy(4))
                .filter(r -> r.compareTo(STATE_REFRESH_MAX) < 0)
                .orElse(STATE_REFRESH_MAX);
    }

    /** What the topic holds, as the producer recorded it; empty for a topic nothing was published to. */
    public static Optional<ProducerState> state(KafkaSettings settings) {
        try (KafkaTopic topic = new KafkaTopic(settings, Reason.TARGET_UNREACHABLE)) {
            // A missing topic fails here, before anything changes on the source.
            topic.partitions(settings.createTopic());
            return topic.producerState();
        }
    }

    /**
     * Checks the topic (creating it when allowed), fences any earlier producer of the topic and
     * aborts what it left open, and returns the end position of the last source transaction the
     * topic holds ({@link Lsn#INVALID} when none).
     */
    @Override
    public Lsn start(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        Optional<ProducerState> state;
        try (KafkaTopic topic = new KafkaTopic(settings, Reason.TARGET_UNREACHABLE)) {
            partitions = topic.partitions(settings.createTopic());
            state = topic.producerState();
            KafkaTopic.BrokerLimits limits = topic.brokerLimits();
            stateMax = limits.offsetMetadataMax().orElse(ProducerState.DEFAULT_METADATA_MAX);
            if (stateRefresh == null) {
                stateRefresh = stateRefresh(limits.offsetsRetention());
            }
            limits.transactionMaxTimeout()
                    .filter(max -> transactionTimeout.compareTo(max) > 0)
                    .ifPresent(max -> {
                        throw new SluiceException(
                                Reason.CONFIG,
                                "kafka.transaction_timeout (" + transactionTimeout.toMillis() + " ms) is more than the"
                                        + " brokers of " + settings.bootstrap() + " allow (their"
                                        + " transaction.max.timeout.ms is " + max.toMillis() + " ms): lower it, or"
                                        + " raise transaction.max.timeout.ms on the brokers.");
                    });
        }
        committedState = state.orElse(null);
        // Due at once: after a long outage the state may be close to expiring.
        stateCommittedAt = System.nanoTime() - stateRefresh.toNanos();
        renamed = new RuleNames(state.map(ProducerState::renamed).orElse(RuleNames.Known.NONE));
        if (state.isPresent()) {
            ProducerState s = state.get();
            if (!s.source().equals(source)) {
                throw new SluiceException(
                        Reason.CONFIG,
                        "Kafka topic " + settings.topic() + " holds the stream of another source (" + s.source()
                                + "); this source is " + source + ". Publish to another topic.");
            }
            if (s.partitioning() != settings.partitioning() || s.partitions() != partitions) {
                throw new SluiceException(
                        Reason.CONFIG,
                        "Kafka topic " + settings.topic() + " was published with kafka.partitioning "
                                + s.partitioning().text() + " over " + s.partitions() + " partition(s); now it is "
                                + settings.partitioning().text() + " over " + partitions + ". Changing either would"
                                + " reorder a row's changes: keep them, or publish to a new topic.");
            }
        }
        open = new boolean[partitions];
        announced = new ArrayList<>();
        values = new ValueBuffer[partitions];
        for (int p = 0; p < partitions; p++) {
            announced.add(new HashMap<>());
            values[p] = new ValueBuffer();
        }
        if (sequenceReader != null) {
            sequences = new SequenceRecords(sequenceReader, sequenceInterval, settings.partitioning(), partitions);
        }
        stateGroup = stateGroup();
        producer = new KafkaProducer<>(producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            closeProducer();
            throw KafkaTopic.failure(settings, Reason.TARGET_UNREACHABLE, "starting the producer", e);
        }
        Lsn resume = state.map(ProducerState::endLsn).orElse(Lsn.INVALID);
        stats.lastPublishedEndLsn.set(resume.value());
        log.info(
                "Publishing to Kafka topic {} ({} partition(s), by {}) on {}; {}",
                settings.topic(),
                partitions,
                settings.partitioning().text(),
                settings.bootstrap(),
                resume.isValid() ? "the topic holds the source up to " + resume : "nothing published yet");
        return resume;
    }

    /** A consumer that never polls hands out the group's metadata; its constructors are going away. */
    private ConsumerGroupMetadata stateGroup() {
        Map<String, Object> p = new HashMap<>(settings.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, KafkaTopic.producerGroup(settings.topic()));
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            return consumer.groupMetadata();
        }
    }

    private Map<String, Object> producerProperties() {
        Map<String, Object> p = new HashMap<>(settings.clientProperties());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "sluice-" + settings.topic());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L << 20);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        p.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, (int) transactionTimeout.toMillis());
        return p;
    }

    /** Partitions of the topic, after {@link #start}. */
    public int partitions() {
        return partitions;
    }

    /**
     * Starts the initial copy: a transaction at {@code begin} whose slice records carry the
     * snapshot flag. It is a barrier from its first record, so it goes whole to partition 0.
     */
    public void beginSnapshot(Begin begin) {
        accept(begin);
        snapshot = true;
        raiseBarrier();
    }

    @Override
    public void accept(ChangeEvent event) {
        try {
            switch (event) {
                case Begin begin -> begin(begin);
                case RowChange change -> row(change);
                case Truncate truncate -> whole(truncate, truncateKeys(truncate));
                case SchemaChange change -> {
                    // Recorded with the state in this Kafka transaction, beside the schema record.
                    change.command().rename().ifPresent(renamed::follow);
                    whole(change, schemaKeys(change.command()));
                    if (sequences != null) {
                        sequences.schemaChanged();
                    }
                }
                case Message message -> {
                    // Only DDL messages matter downstream, and they arrive as SchemaChange.
                }
                case Commit commit -> commit(commit);
            }
        } catch (KafkaException e) {
            throw failure(e, "publishing to " + settings.topic());
        }
    }

    private void beginKafkaTransaction() {
        producer.beginTransaction();
        inKafkaTransaction = true;
        kafkaTransactionStart = System.nanoTime();
    }

    private void begin(Begin begin) {
        if (!inKafkaTransaction) {
            beginKafkaTransaction();
        }
        current = begin;
        snapshot = false;
        barrier = false;
    }

    private void row(RowChange change) {
        int p = 0;
        if (!barrier && partitions > 1) {
            p = Partitioning.partition(settings.partitioning().key(change), partitions);
            String oldKey = settings.partitioning().oldKey(change);
            if (oldKey != null && Partitioning.partition(oldKey, partitions) != p) {
                raiseBarrier();
                p = 0;
            }
        }
        Relation r = change.relation();
        // Described again when its shape changed within the slice (a schema change of the same
        // transaction): the consumer reads the rows that follow with the new description.
        boolean describe = !r.equals(announced.get(p).put(r.oid(), r));
        appendToSlice(p, encoder.change(current, change, describe));
        rowsInKafkaTransaction++;
    }

    /** A truncate or schema change: to its one partition, or as a barrier when it concerns more. */
    private void whole(ChangeEvent event, Optional<Set<String>> keys) {
        int p = 0;
        if (!barrier && partitions > 1) {
            Set<Integer> concerned = new HashSet<>();
            keys.ifPresent(ks -> ks.forEach(k -> concerned.add(Partitioning.partition(k, partitions))));
            if (keys.isEmpty() || concerned.size() != 1) {
                raiseBarrier();
            } else {
                p = concerned.iterator().next();
            }
        }
        appendToSlice(p, encoder.change(current, event, false));
    }

    /** The routing keys of the tables a truncate empties; empty when it concerns every partition. */
    private Optional<Set<String>> truncateKeys(Truncate truncate) {
        if (settings.partitioning() == Partitioning.KEY) {
            return Optional.empty();
        }
        Set<String> keys = new HashSet<>();
        truncate.relations().forEach(r -> keys.add(settings.partitioning().key(r.table())));
        return Optional.of(keys);
    }

    /**
     * The routing keys of what a schema change touches; empty when it may concern every partition
     * (by key, or an object whose table or schema is not known).
     */
    private Optional<Set<String>> schemaKeys(DdlCommand command) {
        Partitioning how = settings.partitioning();
        if (how == Partitioning.KEY) {
            return Optional.empty();
        }
        Set<String> keys = new HashSet<>();
        command.tables().forEach(t -> keys.add(how.key(t.table())));
        command.rename().ifPresent(r -> {
            switch (r) {
                case DdlCommand.ColumnRename c -> keys.add(how.key(c.table()));
                case DdlCommand.TableRename t -> {
                    keys.add(how.key(t.from()));
                    keys.add(how.key(t.to()));
                }
            }
        });
        for (DdlCommand.DdlObject o : command.objects()) {
            if (o.table().isPresent()) {
                keys.add(how.key(o.table().get()));
            } else if (how == Partitioning.SCHEMA && o.type().equals("schema")) {
                keys.add(o.identity());
            } else if (how == Partitioning.SCHEMA && o.identity().indexOf('.') > 0) {
                // A type, function or sequence of a schema: it goes with that schema's tables.
                keys.add(how.key(
                        new TableId(o.identity().substring(0, o.identity().indexOf('.')), "")));
            } else {
                return Optional.empty();
            }
        }
        return keys.isEmpty() ? Optional.empty() : Optional.of(keys);
    }

    /**
     * Closes the slices other partitions hold of the current transaction (each is applied on its
     * own, like any slice), then marks every partition; the rest of the transaction goes to
     * partition 0.
     */
    private void raiseBarrier() {
        if (barrier || partitions == 1) {
            barrier = true;
            return;
        }
        barrier = true;
        for (int p = 1; p < partitions; p++) {
            if (open[p]) {
                // Its end is not known yet; the commit position itself orders it correctly.
                appendToSlice(
                        p, encoder.change(current, new Commit(current.commitLsn(), current.commitLsn(), null), false));
                closeSlice(p);
            }
            append(p, encoder.barrier(current.xid(), current.commitLsn()));
        }
        append(0, encoder.barrier(current.xid(), current.commitLsn()));
    }

    private void commit(Commit commit) {
        for (int p = 0; p < partitions; p++) {
            if (open[p]) {
                appendToSlice(p, encoder.change(current, commit, false));
                closeSlice(p);
            }
        }
        current = null;
        pendingCommit = commit;
        stats.transactionsPublished.incrementAndGet();
        if (snapshot || rowsInKafkaTransaction >= groupMaxRows || due()) {
            appendSequences();
            commitKafka();
        }
    }

    private void closeSlice(int p) {
        open[p] = false;
        announced.get(p).clear();
    }

    private boolean due() {
        return System.nanoTime() - kafkaTransactionStart >= groupMaxDelay.toNanos();
    }

    /** Adds a record of the current transaction to partition {@code p}, opening its slice there first. */
    private void appendToSlice(int p, byte[] record) {
        if (!open[p]) {
            open[p] = true;
            append(p, encoder.start(current, source, snapshot));
        }
        append(p, record);
    }

    /** Adds a record to partition {@code p}'s packed value, which goes out once full (or at commit). */
    private void append(int p, byte[] record) {
        if (values[p].add(record)) {
            sendValue(p);
        }
    }

    private void sendValue(int p) {
        Exception failed = sendFailure.get();
        if (failed != null) {
            throw new KafkaException("an earlier record was not accepted: " + failed.getMessage(), failed);
        }
        byte[] value = values[p].take();
        producer.send(new ProducerRecord<>(settings.topic(), p, null, value), (metadata, e) -> {
            if (e != null) {
                sendFailure.compareAndSet(null, e);
            }
        });
        stats.recordsSent.incrementAndGet();
        stats.bytesSent.addAndGet(value.length);
    }

    /** Sends what the partitions' values hold so far; before every Kafka commit. */
    private void sendPendingValues() {
        for (int p = 0; p < partitions; p++) {
            if (!values[p].isEmpty()) {
                sendValue(p);
            }
        }
    }

    /** Commits the Kafka transaction with the producer state, then reports the position durable. */
    private void commitKafka() {
        sendPendingValues();
        Commit last = pendingCommit;
        ProducerState next = new ProducerState(
                last.endLsn(), source, settings.partitioning(), partitions, renamed.known(), withoutValues.get());
        producer.sendOffsetsToTransaction(stateOffset(next), stateGroup);
        producer.commitTransaction();
        Exception failed = sendFailure.get();
        if (failed != null) {
            // commitTransaction fails when a send did; this is a guard, never a path taken.
            throw new KafkaException("a record was not accepted: " + failed.getMessage(), failed);
        }
        committedState = next;
        stateCommittedAt = System.nanoTime();
        inKafkaTransaction = false;
        pendingCommit = null;
        rowsInKafkaTransaction = 0;
        stats.kafkaCommits.incrementAndGet();
        stats.lastPublishedEndLsn.set(last.endLsn().value());
        if (sequences != null) {
            sequences.published();
        }
        checkpoint.durable(last.endLsn());
    }

    /**
     * Sends the source's sequence values into the open Kafka transaction, after its last source
     * transaction, when they are due and changed.
     */
    private void appendSequences() {
        if (sequences != null && sequences.due()) {
            sendSequences(sequences.changed(), pendingCommit.endLsn());
        }
    }

    private void sendSequences(Map<Integer, List<SequenceState>> sets, Lsn after) {
        sets.forEach((p, states) -> {
            for (int i = 0; i < states.size(); i += SEQUENCES_PER_RECORD) {
                append(
                        p,
                        encoder.sequences(after, states.subList(i, Math.min(states.size(), i + SEQUENCES_PER_RECORD))));
            }
            stats.sequencesPublished.addAndGet(states.size());
        });
    }

    private Map<TopicPartition, OffsetAndMetadata> stateOffset(ProducerState state) {
        return Map.of(
                new TopicPartition(settings.topic(), 0),
                new OffsetAndMetadata(0, state.toMetadata(settings.topic(), stateMax)));
    }

    /**
     * Between source transactions, a Kafka transaction of its own, holding no change: with the
     * source's changed sequence values, and with the unchanged producer state. Committing the state
     * again keeps it: Kafka drops a group's offsets {@code offsets.retention.minutes} after their
     * last commit, and so the state of a stream that stayed idle that long.
     */
    private void publishIdle(boolean sequencesDue, boolean refreshDue) {
        Map<Integer, List<SequenceState>> sets = sequencesDue ? sequences.changed() : Map.of();
        if (sets.isEmpty() && !refreshDue) {
            return;
        }
        beginKafkaTransaction();
        sendSequences(sets, new Lsn(stats.lastPublishedEndLsn.get()));
        sendPendingValues();
        if (committedState != null) {
            producer.sendOffsetsToTransaction(stateOffset(committedState), stateGroup);
        }
        producer.commitTransaction();
        inKafkaTransaction = false;
        Exception failed = sendFailure.get();
        if (failed != null) {
            throw new KafkaException("a record was not accepted: " + failed.getMessage(), failed);
        }
        if (!sets.isEmpty()) {
            sequences.published();
        }
        if (committedState != null) {
            stateCommittedAt = System.nanoTime();
            stats.stateRefreshes.incrementAndGet();
        }
    }

    /**
     * Commits what is complete once the group is due, so that an idle stream still advances the slot;
     * publishes changed sequence values once they are due; keeps the producer state from expiring.
     */
    @Override
    public void idle() {
        boolean group = inKafkaTransaction && current == null && pendingCommit != null && due();
        boolean sequencesDue = !inKafkaTransaction && sequences != null && sequences.due();
        boolean refreshDue = !inKafkaTransaction
                && committedState != null
                && System.nanoTime() - stateCommittedAt >= stateRefresh.toNanos();
        if (!group && !sequencesDue && !refreshDue) {
            return;
        }
        try {
            if (group) {
                appendSequences();
                commitKafka();
            } else {
                publishIdle(sequencesDue, refreshDue);
            }
        } catch (KafkaException e) {
            throw failure(e, "committing to " + settings.topic());
        }
    }

    /**
     * What a failure of the producer means. Past its timeout the brokers abort a Kafka transaction
     * (and the client may then report itself fenced): that is neither a lost broker, which is worth
     * retrying, nor another producer, and a retry would publish the same source transaction for as
     * long again.
     */
    private SluiceException failure(KafkaException e, String doing) {
        long open = System.nanoTime() - kafkaTransactionStart;
        if (inKafkaTransaction && open >= transactionTimeout.toNanos()) {
            return new SluiceException(
                    Reason.APPLY,
                    "The Kafka transaction on topic " + settings.topic() + " was open for "
                            + Duration.ofNanos(open).toSeconds() + " s, longer than kafka.transaction_timeout ("
                            + transactionTimeout.toMillis() + " ms), so the brokers aborted it: "
                            + (snapshot ? "the initial copy" : "a source transaction") + " took longer than that to"
                            + " publish, and it is never split. Raise kafka.transaction_timeout, and the brokers'"
                            + " transaction.max.timeout.ms (which caps it), above the time it takes.",
                    e);
        }
        if (e instanceof ProducerFencedException fenced) {
            return fenced(fenced);
        }
        return KafkaTopic.failure(settings, Reason.TARGET_UNREACHABLE, doing, e);
    }

    private SluiceException fenced(ProducerFencedException e) {
        return new SluiceException(
                Reason.SLOT_IN_USE,
                "Another Sluice now publishes to Kafka topic " + settings.topic() + " (transactional id sluice-"
                        + settings.topic() + "); this one stops. Run one producer per topic.",
                e);
    }

    @Override
    public void close() {
        if (producer == null) {
            return;
        }
        try {
            if (inKafkaTransaction) {
                if (current == null && pendingCommit != null && sendFailure.get() == null) {
                    commitKafka();
                } else {
                    for (ValueBuffer v : values) {
                        v.clear();
                    }
                    producer.abortTransaction();
                }
            }
        } catch (KafkaException | SluiceException e) {
            log.warn("Could not finish the last Kafka transaction on {}: {}", settings.topic(), e.getMessage());
        } finally {
            closeProducer();
        }
    }

    private void closeProducer() {
        try {
            producer.close(Duration.ofSeconds(10));
        } catch (KafkaException e) {
            log.debug("Closing the Kafka producer: {}", e.getMessage());
        }
        producer = null;
    }
}
