package dev.sluice.pipeline.kafka;

import dev.sluice.core.Lsn;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.util.List;

/**
 * What one Kafka record of a Sluice topic holds, once decoded: see {@code docs/KAFKA.md}.
 *
 * <p>Each partition carries, in source commit order, slices of source transactions: {@link Start}
 * (the transaction's begin), its events in this partition as {@link Change}, then a {@link Change}
 * holding the {@link ChangeEvent.Commit}. A {@link Barrier} orders partitions against each other
 * around a change that concerns more than one of them. {@link Sequences} carry the source's
 * sequence values between slices.
 */
public sealed interface StreamRecord {

    /**
     * A transaction slice begins.
     *
     * @param source the source database's identity (system identifier and name), which the target's
     *     progress records keep so that two sources never share positions
     * @param snapshot whether this is the initial copy (schema and rows as of the slot's start)
     */
    record Start(ChangeEvent.Begin begin, String source, boolean snapshot) implements StreamRecord {}

    /** A row change, truncate, schema change or the slice's commit. */
    record Change(ChangeEvent event) implements StreamRecord {}

    /**
     * Source transaction {@code xid}, committed at {@code commitLsn}, holds a change that concerns
     * more than one partition. Partition 0 carries that change and everything after it in the
     * transaction; every other partition carries this marker in its place. A consumer applies
     * nothing after the marker in a partition before partition 0 has applied the transaction, and
     * partition 0 applies nothing after its own marker before every other partition has reached
     * theirs. A partition has applied the transaction once its applied end position is past
     * {@code commitLsn}.
     */
    record Barrier(long xid, Lsn commitLsn) implements StreamRecord {}

    /**
     * The source's sequences of this partition, read after the source transaction ending at {@code
     * after} was published (so at or past every value that transaction and those before it drew).
     * Stands between slices, never inside one. A target moves its sequences up to these values,
     * never back, so applying it twice, late, or ahead of the rows it covers changes nothing.
     */
    record Sequences(Lsn after, List<SequenceState> states) implements StreamRecord {
        public Sequences {
            states = List.copyOf(states);
        }
    }
}
