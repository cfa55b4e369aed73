package dev.sluice.pipeline.source.kafka;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.Threads;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.KafkaStatus;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.pipeline.kafka.ProducerState;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Consumes a Sluice topic as one consumer group and applies it to a target: one applier thread and
 * one sink per partition ({@link PartitionApplier}), fed by this thread, which also commits the
 * group's offsets once the target holds what they cover.
 *
 * <p>Offsets are only a shortcut: the target's per-partition progress rows decide what is applied,
 * so a restart from an older offset skips what the target holds. A group with no offsets starts at
 * the earliest retained record. One process per group: partitions are assigned, not balanced.
 *
 * <p>The values of {@code sequences} records go to a sequence target of their own (the target's
 * sequences are not in a sink's transaction): moved up only, so redelivery changes nothing.
 *
 * <p>Not a {@link dev.sluice.core.spi.Source}: it needs a sink per partition, not one. {@link #run}
 * blocks until {@link #stop} (from any thread) or a failure, which it rethrows.
 */
public final class KafkaSource implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSource.class);

    /** Above this many bytes of queued records a partition is paused, below the low mark resumed. */
    private static final long HIGH_WATER = 16L << 20;

    private static final long LOW_WATER = 4L << 20;
    private static final Duration COMMIT_EVERY = Duration.ofMillis(500);
    private static final Duration PRODUCER_WAIT = Duration.ofSeconds(1);

    /** Counters for metrics and tests, safe to read from any thread. */
    public static final class Stats {
        public final AtomicLong recordsApplied = new AtomicLong();
        public final AtomicLong offsetCommits = new AtomicLong();
    }

    private final KafkaSettings settings;
    private final String group;
    private final BiFunction<Integer, String, Sink> sinks;
    private final Consumer<List<SequenceState>> sequences;
    private final Stats stats;
    private volatile boolean stopped;
    private volatile boolean started;

    /**
     * @param sinks the sink of a partition, given the partition and the source's identity
     * @param sequences moves the target's sequences up to a {@code sequences} record's values; called
     *     from every partition's thread
     */
    public KafkaSource(
            KafkaSettings settings,
            String group,
            BiFunction<Integer, String, Sink> sinks,
            Consumer<List<SequenceState>> sequences,
            Stats stats) {
        this.settings = settings;
        this.group = group;
        this.sinks = sinks;
        this.sequences = sequences;
        this.stats = stats;
    }

    /** Whether consuming started once: brokers, topic and target were fine. */
    public boolean hasStarted() {
        return started;
    }

    public void run() {
        int partitions;
        ProducerState state;
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (KafkaTopic topic = new KafkaTopic(settings, Reason.SOURCE_UNREACHABLE)) {
            Optional<Integer> found = topic.describe();
            if (found.isEmpty()) {
                log.info(
                        "Kafka topic {} does not exist on {} yet; waiting for its producer to create it (or create it:"
                                + " kafka-topics.sh --bootstrap-server {} --create --topic {})",
                        settings.topic(),
                        settings.bootstrap(),
                        settings.bootstrap(),
                        settings.topic());
            }
            while (found.isEmpty()) {
                if (stopped) {
                    return;
                }
                sleep(PRODUCER_WAIT);
                found = topic.describe();
            }
            partitions = found.get();
            Optional<ProducerState> published = topic.producerState();
            if (published.isEmpty()) {
                log.info(
                        "Nothing was published to Kafka topic {} yet; waiting for its producer (sluice run --source-url"
                                + " ... --kafka-brokers ... --topic {})",
                        settings.topic(),
                        settings.topic());
            }
            while (published.isEmpty()) {
                if (stopped) {
                    return;
                }
                sleep(PRODUCER_WAIT);
                published = topic.producerState();
            }
            state = published.get();
            committed = topic.committed(group);
        }
        Barriers barriers = new Barriers(partitions);
        List<PartitionApplier> appliers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> assigned = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                assigned.add(new TopicPartition(settings.topic(), p));
            }
            consumer.assign(assigned);
            for (int p = 0; p < partitions; p++) {
                int partition = p;
                java.util.function.Supplier<Sink> factory = () -> sinks.apply(partition, state.source());
                PartitionApplier[] self = new PartitionApplier[1];
                // Sinks start one after another: the first creates Sluice's tables on the target.
                Sink sink = PartitionApplier.open(factory, p, barriers, end -> self[0].durable(end));
                PartitionApplier applier = new PartitionApplier(
                        settings.topic(), p, sink, factory, sequences, barriers, stats.recordsApplied);
                self[0] = applier;
                appliers.add(applier);
                OffsetAndMetadata from = committed.get(assigned.get(p));
                if (readsFromBeginning(consumer, assigned.get(p), from, barriers.appliedEnd(p))) {
                    consumer.seekToBeginning(List.of(assigned.get(p)));
                } else {
                    consumer.seek(assigned.get(p), from.offset());
                }
            }
            for (PartitionApplier applier : appliers) {
                Thread t = new Thread(applier, "sluice-kafka-apply-" + applier);
                t.start();
                threads.add(t);
            }
            started = true;
            log.info(
                    "Consuming Kafka topic {} ({} partition(s)) on {} as group {}",
                    settings.topic(),
                    partitions,
                    settings.bootstrap(),
                    group);
            consume(consumer, appliers);
            stopAll(appliers, threads);
            commit(consumer, appliers, new HashMap<>(), Map.of());
            rethrow(appliers);
        } catch (KafkaException e) {
            stopAll(appliers, threads);
            throw KafkaTopic.failure(settings, Reason.SOURCE_UNREACHABLE, "consuming " + settings.topic(), e);
        } finally {
            stopAll(appliers, threads);
            // Appliers whose thread never started (a later partition's sink failed to open) still hold a connection.
            appliers.subList(threads.size(), appliers.size()).forEach(PartitionApplier::closeSink);
        }
    }

    /**
     * Whether partition {@code p} is read from its beginning rather than from the group's offset:
     * when the group has none, and when the target holds less than the group committed (it was
     * restored from a backup, or replaced), since the offset would then skip what it lacks. The
     * target skips what it holds either way. Fails when what the target lacks may be gone from
     * the topic.
     */
    private boolean readsFromBeginning(
            KafkaConsumer<byte[], byte[]> consumer, TopicPartition partition, OffsetAndMetadata from, Lsn holds) {
        if (from == null) {
            return true;
        }
        Optional<Lsn> groupApplied = KafkaStatus.applied(from);
        if (groupApplied.isEmpty() || !groupApplied.get().isAfter(holds)) {
            return false;
        }
        int p = partition.partition();
        long first = consumer.beginningOffsets(List.of(partition)).get(partition);
        if (first > 0) {
            throw new SluiceException(
                    Reason.APPLY,
                    "The target holds partition " + p + " of Kafka topic " + settings.topic() + " up to "
                            + describe(holds) + ", but consumer group " + group + " committed it up to "
                            + groupApplied.get() + ": the target was restored or replaced. The topic no longer holds"
                            + " that partition's beginning (its earliest offset is " + first + "), so what the target"
                            + " lacks may be gone: restore a newer backup, or rebuild the target from a new topic (see"
                            + " docs/KAFKA.md, late joiners).");
        }
        log.warn(
                "The target holds partition {} of Kafka topic {} up to {}, but consumer group {} committed it up to {}:"
                        + " the target was restored or replaced. Reading the partition from its beginning; what the"
                        + " target holds is skipped.",
                p,
                settings.topic(),
                describe(holds),
                group,
                groupApplied.get());
        return true;
    }

    private static String describe(Lsn holds) {
        return holds.isValid() ? holds.toString() : "nothing";
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void consume(KafkaConsumer<byte[], byte[]> consumer, List<PartitionApplier> appliers) {
        Set<TopicPartition> paused = new HashSet<>();
        Map<Integer, Long> lastCommitted = new HashMap<>();
        Map<Integer, Long> handedOver = new HashMap<>();
        long nextCommit = System.nanoTime();
        while (!stopped) {
            if (failed(appliers)) {
                return;
            }
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                appliers.get(record.partition()).offer(record);
                handedOver.put(record.partition(), record.offset());
            }
            for (PartitionApplier a : appliers) {
                TopicPartition tp = new TopicPartition(settings.topic(), appliers.indexOf(a));
                if (a.queuedBytes() > HIGH_WATER && paused.add(tp)) {
                    consumer.pause(List.of(tp));
                } else if (a.queuedBytes() < LOW_WATER && paused.remove(tp)) {
                    consumer.resume(List.of(tp));
                }
            }
            if (System.nanoTime() >= nextCommit) {
                commit(consumer, appliers, lastCommitted, settledPositions(consumer, appliers, handedOver));
                nextCommit = System.nanoTime() + COMMIT_EVERY.toNanos();
            }
        }
    }

    /** Consumer positions of partitions whose every handed-over record is on the target. */
    private Map<Integer, Long> settledPositions(
            KafkaConsumer<byte[], byte[]> consumer, List<PartitionApplier> appliers, Map<Integer, Long> handedOver) {
        Map<Integer, Long> positions = new HashMap<>();
        for (int p = 0; p < appliers.size(); p++) {
            PartitionApplier a = appliers.get(p);
            Long last = handedOver.get(p);
            if (last != null && a.isIdle() && a.settledAt() == last) {
                positions.put(p, consumer.position(new TopicPartition(settings.topic(), p)));
            }
        }
        return positions;
    }

    private void commit(
            KafkaConsumer<byte[], byte[]> consumer,
            List<PartitionApplier> appliers,
            Map<Integer, Long> last,
            Map<Integer, Long> settled) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (int p = 0; p < appliers.size(); p++) {
            long offset = Math.max(appliers.get(p).committable(), settled.getOrDefault(p, -1L));
            if (offset >= 0 && offset > last.getOrDefault(p, -1L)) {
                // What the target holds, for `status` to count the group's lag in source WAL.
                Lsn applied = appliers.get(p).appliedEnd();
                offsets.put(
                        new TopicPartition(settings.topic(), p),
                        new OffsetAndMetadata(offset, applied.isValid() ? KafkaStatus.appliedMetadata(applied) : ""));
                last.put(p, offset);
            }
        }
        if (!offsets.isEmpty()) {
            consumer.commitSync(offsets);
            stats.offsetCommits.incrementAndGet();
        }
    }

    private static boolean failed(List<PartitionApplier> appliers) {
        return appliers.stream().anyMatch(a -> a.failure() != null);
    }

    private static void rethrow(List<PartitionApplier> appliers) {
        for (PartitionApplier a : appliers) {
            Threads.rethrow(a.failure());
        }
    }

    private static void stopAll(List<PartitionApplier> appliers, List<Thread> threads) {
        appliers.forEach(PartitionApplier::stop);
        // Each applier's thread owns its sink, and so a target connection, until it ends.
        threads.forEach(Threads::joinUninterruptibly);
    }

    private Map<String, Object> consumerProperties() {
        Map<String, Object> p = new HashMap<>(settings.clientProperties());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        return p;
    }

    /** Asks {@link #run} to return once each partition's complete transactions are committed. */
    public void stop() {
        stopped = true;
    }

    @Override
    public void close() {
        stop();
    }
}
