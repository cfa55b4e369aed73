package dev.sluice.pipeline.source.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.kafka.RecordEncoder;
import dev.sluice.pipeline.kafka.ValueBuffer;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A stop that ends a wait at a barrier applies nothing after it: the partitions never all met
 * there, so applying on would commit one partition's changes out of order with another's.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class PartitionApplierTest {

    private static final Relation USERS = new Relation(
            16384,
            new TableId("public", "users"),
            Relation.ReplicaIdentity.DEFAULT,
            List.of(new Relation.Column("id", 23, -1, true)));
    private static final Instant TIME = Instant.parse("2026-11-21T05:40:00Z");
    /** A truncate across partitions: partition 0 applies it once every other partition is at it. */
    private static final Begin ACROSS = new Begin(731, Lsn.parse("0/16B3748"), TIME);

    private static final Begin AFTER = new Begin(732, Lsn.parse("0/16B4000"), TIME);

    private final RecordEncoder encoder = new RecordEncoder();
    private final List<ChangeEvent> applied = new CopyOnWriteArrayList<>();
    private final AtomicLong sinksOpened = new AtomicLong();

    @Test
    void partitionZeroStoppedWhileWaitingForTheOthersAppliesNothingOfTheBarrierTransaction() throws Exception {
        Barriers barriers = new Barriers(2);
        PartitionApplier zero = applier(0, barriers);
        zero.offer(record(
                0,
                encoder.start(ACROSS, "s", false),
                encoder.barrier(ACROSS.xid(), ACROSS.commitLsn()),
                encoder.change(ACROSS, new Truncate(List.of(USERS), false, false), true),
                encoder.change(ACROSS, new Commit(ACROSS.commitLsn(), Lsn.parse("0/16B3780"), TIME), false)));
        Thread thread = Thread.ofPlatform().start(zero);
        awaitWaiting(thread, () -> applied.contains(ACROSS));

        zero.stop();
        thread.join();

        assertThat(applied).containsExactly(ACROSS);
        assertThat(zero.failure()).isNull();
        assertThat(zero.committable()).isEqualTo(-1);
        assertThat(zero.settledAt())
                .as("the record is read again after a restart")
                .isEqualTo(-1);
    }

    @Test
    void otherPartitionStoppedWhileWaitingForPartitionZeroAppliesNothingAfterTheBarrier() throws Exception {
        Barriers barriers = new Barriers(2);
        PartitionApplier one = applier(1, barriers);
        Insert later = new Insert(USERS, Tuple.wrap(new String[] {"1"}));
        one.offer(record(
                0,
                encoder.barrier(ACROSS.xid(), ACROSS.commitLsn()),
                encoder.start(AFTER, "s", false),
                encoder.change(AFTER, later, true),
                encoder.change(AFTER, new Commit(AFTER.commitLsn(), Lsn.parse("0/16B4080"), TIME), false)));
        Thread thread = Thread.ofPlatform().start(one);
        // At the barrier the partition commits what it holds, by a new sink, then waits for partition 0.
        awaitWaiting(thread, () -> sinksOpened.get() == 2);

        one.stop();
        thread.join();

        assertThat(applied).as("nothing after the barrier").isEmpty();
        assertThat(one.failure()).isNull();
        assertThat(one.settledAt())
                .as("the record is read again after a restart")
                .isEqualTo(-1);
    }

    private PartitionApplier applier(int partition, Barriers barriers) {
        Supplier<Sink> sinks = RecordingSink::new;
        Sink first = sinks.get();
        first.start(end -> {});
        return new PartitionApplier("changes", partition, first, sinks, values -> {}, barriers, new AtomicLong());
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, byte[]... records) {
        ValueBuffer value = new ValueBuffer();
        for (byte[] r : records) {
            value.add(r);
        }
        return new ConsumerRecord<>("changes", 0, offset, null, value.take());
    }

    /** Until {@code reached} holds and the applier sleeps in a barrier's wait. */
    private static void awaitWaiting(Thread applier, Supplier<Boolean> reached) throws InterruptedException {
        while (!reached.get() || applier.getState() != Thread.State.TIMED_WAITING) {
            assertThat(applier.isAlive()).as("the applier waits at the barrier").isTrue();
            Thread.sleep(10);
        }
        // Past the poll for the next record, if the check above saw that one: the barrier waits in steps of 100 ms.
        Thread.sleep(150);
        assertThat(applier.getState()).isEqualTo(Thread.State.TIMED_WAITING);
    }

    /** Records what reaches the target; holds nothing back, so close has nothing to commit. */
    private final class RecordingSink implements Sink {

        RecordingSink() {
            sinksOpened.incrementAndGet();
        }

        @Override
        public Lsn start(Checkpoint checkpoint) {
            return Lsn.INVALID;
        }

        @Override
        public void accept(ChangeEvent event) {
            applied.add(event);
        }

        @Override
        public void close() {}
    }
}
