package dev.sluice.pipeline.source.kafka;

import dev.sluice.core.Lsn;
import dev.sluice.core.Threads;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.kafka.RecordDecoder;
import dev.sluice.pipeline.kafka.StreamRecord;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one partition's records to the target through its own sink, on its own thread (a second
 * one decodes them ahead of it), and tracks the offset up to which the target holds them.
 *
 * <p>The sink (a PostgreSQL sink whose progress row is this partition's) applies each transaction
 * slice atomically and skips the slices it already holds, so redelivery changes nothing. Once
 * the sink reports a slice durable, the Kafka record holding its commit becomes the committable
 * offset, or the one after it when the commit is that record's last: a Kafka record may hold the
 * end of one slice and the start of the next, and a restart there skips what is applied. A {@code
 * sequences} record is handed to the sequence target at once, on its own connection, after the
 * sink committed every schema change before it (which may have created the sequences it names).
 */
final class PartitionApplier implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(PartitionApplier.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(20);

    /**
     * Kafka records (each up to about 128 kB) decoded ahead of the sink: decoding goes on while the
     * sink waits for the target, as the direct pipeline decodes the WAL on a thread of its own.
     */
    private static final int DECODED_AHEAD = 32;

    /** A Kafka record's Sluice records, decoded; its bytes count as queued until applied. */
    private record Decoded(long offset, int bytes, List<StreamRecord> records) {}

    private final String topic;
    private final int partition;
    private final Supplier<Sink> sinks;
    private final Consumer<List<SequenceState>> sequences;
    private final Barriers barriers;
    private final RecordDecoder decoder;
    private final BlockingQueue<ConsumerRecord<byte[], byte[]>> queue = new LinkedBlockingQueue<>();
    private final BlockingQueue<Decoded> decoded = new ArrayBlockingQueue<>(DECODED_AHEAD);
    private final AtomicLong queuedBytes = new AtomicLong();
    /** End positions of slices applied but not yet durable, with the offset to commit once each is. */
    private final ArrayDeque<long[]> undurable = new ArrayDeque<>();

    private final AtomicLong committable = new AtomicLong(-1);
    /** End position of the last source transaction whose slice here is durable on the target. */
    private volatile Lsn appliedEnd = Lsn.INVALID;

    private final AtomicLong recordsApplied;

    /** The offset of the last record handled when nothing of it waits for the target; else -1. */
    private volatile long settledAt = -1;

    private long lastHandled = -1;
    private boolean inSlice;
    private volatile boolean stopped;
    private volatile Throwable failure;
    private boolean flushAfterCommit;
    private boolean schemaInSlice;
    /** End of the last slice that held a schema change; {@link Lsn#INVALID} when none was seen. */
    private Lsn schemaEnd = Lsn.INVALID;

    private Sink sink;

    /** @param sequences moves the target's sequences up to a {@code sequences} record's values */
    PartitionApplier(
            String topic,
            int partition,
            Sink startedSink,
            Supplier<Sink> sinks,
            Consumer<List<SequenceState>> sequences,
            Barriers barriers,
            AtomicLong recordsApplied) {
        this.topic = topic;
        this.partition = partition;
        this.sink = startedSink;
        this.sinks = sinks;
        this.sequences = sequences;
        this.barriers = barriers;
        this.recordsApplied = recordsApplied;
        this.decoder = new RecordDecoder(topic, partition);
    }

    /** Starts a sink for this partition; the position it holds is reported to the barriers. */
    static Sink open(Supplier<Sink> sinks, int partition, Barriers barriers, Checkpointed owner) {
        Sink sink = sinks.get();
        Lsn position = sink.start(owner::durable);
        barriers.applied(partition, position);
        return sink;
    }

    /** Receives a sink's durable positions. */
    interface Checkpointed {
        void durable(Lsn end);
    }

    void durable(Lsn end) {
        barriers.applied(partition, end);
        appliedEnd = end;
        long next = -1;
        while (!undurable.isEmpty() && Long.compareUnsigned(undurable.peekFirst()[0], end.value()) <= 0) {
            next = undurable.pollFirst()[1];
        }
        if (next >= 0) {
            committable.set(next);
        }
        settle();
    }

    private void settle() {
        settledAt = !inSlice && undurable.isEmpty() ? lastHandled : -1;
    }

    /**
     * The offset of the last record handed over, once it and everything before it are on the
     * target with no transaction open; else -1. The group may then move to the consumer's position,
     * past Kafka's transaction markers, which are never handed over.
     */
    long settledAt() {
        return settledAt;
    }

    void offer(ConsumerRecord<byte[], byte[]> record) {
        queuedBytes.addAndGet(record.value().length);
        queue.add(record);
    }

    /** Whether no record handed over waits to be decoded or applied (one may be in decoding). */
    boolean isIdle() {
        return queue.isEmpty() && decoded.isEmpty();
    }

    /** Bytes of the records handed over and not yet applied. */
    long queuedBytes() {
        return queuedBytes.get();
    }

    /** End position of the last source transaction this partition holds on the target; may be invalid. */
    Lsn appliedEnd() {
        return appliedEnd;
    }

    /** The offset to commit for this partition, or -1 when nothing new is durable. */
    long committable() {
        return committable.get();
    }

    Throwable failure() {
        return failure;
    }

    void stop() {
        stopped = true;
    }

    /**
     * Closes the sink, which commits complete transactions still grouped; returns its failure
     * (logged), or null. The run ends with it; the consumer calls it for an applier whose thread
     * never started.
     */
    Throwable closeSink() {
        try {
            sink.close();
            return null;
        } catch (RuntimeException | Error e) {
            log.warn("Closing the target connection of partition {}: {}", partition, e.getMessage());
            return e;
        }
    }

    /** Applies on this thread what a second one decodes, until stopped or failed. */
    @Override
    public void run() {
        Thread decoding =
                Thread.ofPlatform().name("sluice-kafka-decode-" + this).start(this::decode);
        try {
            while (!stopped && failure == null) {
                Decoded next = decoded.poll(IDLE_POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (next == null) {
                    sink.idle();
                    continue;
                }
                apply(next);
                queuedBytes.addAndGet(-next.bytes());
                lastHandled = next.offset();
                settle();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Barriers.Stopped e) {
            // The record is not handled, so a restart reads it again; closing commits only complete
            // slices from before the barrier.
        } catch (RuntimeException | Error e) {
            failure = e;
        } finally {
            stopped = true;
            decoding.interrupt();
            Threads.joinUninterruptibly(decoding);
            Throwable closing = closeSink(); // rolls back a transaction in flight
            if (failure == null) {
                // The target failed on changes applied before the stop; the consumer must not report success.
                failure = closing;
            }
        }
    }

    private void decode() {
        try {
            while (!stopped) {
                ConsumerRecord<byte[], byte[]> record = queue.poll(IDLE_POLL.toMillis(), TimeUnit.MILLISECONDS);
                if (record != null) {
                    List<StreamRecord> records = decoder.read(record.value(), record.offset());
                    decoded.put(new Decoded(record.offset(), record.value().length, records));
                }
            }
        } catch (InterruptedException e) {
            // Stopping: what is left is read again from the committed offset.
        } catch (RuntimeException | Error e) {
            failure = e;
        }
    }

    private void apply(Decoded record) throws InterruptedException, Barriers.Stopped {
        List<StreamRecord> records = record.records();
        for (int i = 0; i < records.size(); i++) {
            // Where a restart begins once this is on the target: this Kafka record while more of it follows.
            long resumeAt = i == records.size() - 1 ? record.offset() + 1 : record.offset();
            handle(records.get(i), resumeAt);
        }
    }

    private void handle(StreamRecord decoded, long resumeAt) throws InterruptedException, Barriers.Stopped {
        switch (decoded) {
            case StreamRecord.Start start -> {
                inSlice = true;
                schemaInSlice = false;
                sink.accept(start.begin());
            }
            case StreamRecord.Change change -> {
                sink.accept(change.event());
                recordsApplied.incrementAndGet();
                if (change.event() instanceof SchemaChange) {
                    schemaInSlice = true;
                }
                if (change.event() instanceof Commit commit) {
                    inSlice = false;
                    if (schemaInSlice) {
                        schemaEnd = commit.endLsn();
                    }
                    undurable.addLast(new long[] {commit.endLsn().value(), resumeAt});
                    if (flushAfterCommit) {
                        flushAfterCommit = false;
                        reopen();
                    }
                }
            }
            case StreamRecord.Barrier barrier -> {
                barrier(barrier);
                if (partition != 0 && undurable.isEmpty()) {
                    // Everything before the marker is committed: the group may move past it.
                    committable.set(resumeAt);
                }
            }
            case StreamRecord.Sequences values -> {
                if (schemaEnd.isValid() && barriers.appliedEnd(partition).compareTo(schemaEnd) < 0) {
                    // A sequence the record names may be created by a schema change the sink still groups.
                    reopen();
                }
                sequences.accept(values.states());
                recordsApplied.incrementAndGet();
            }
        }
    }

    /**
     * Meets the other partitions at a barrier. Partition 0 waits until every other partition is at
     * it, having committed everything before it, then applies the transaction and commits it at
     * once; the others wait until partition 0 has. Nothing waits for a barrier partition 0 already
     * applied (a replay after a restart).
     */
    private void barrier(StreamRecord.Barrier barrier) throws InterruptedException, Barriers.Stopped {
        if (barriers.zeroApplied(barrier.commitLsn())) {
            return;
        }
        log.debug("Partition {} at the barrier of transaction {} ({})", partition, barrier.xid(), barrier.commitLsn());
        if (partition == 0) {
            barriers.awaitOthers(barrier.commitLsn(), () -> stopped);
            flushAfterCommit = true;
        } else {
            // Nothing of this partition may hold locks while partition 0 applies, say, an ALTER TABLE.
            reopen();
            barriers.arriveAndAwaitZero(partition, barrier.commitLsn(), () -> stopped);
        }
    }

    /** Commits what the sink groups by closing it, and opens a new one. */
    private void reopen() {
        sink.close();
        sink = open(sinks, partition, barriers, this::durable);
    }

    @Override
    public String toString() {
        return topic + "/" + partition;
    }
}
