package dev.sluice.core.event;

import dev.sluice.core.Lsn;
import java.time.Instant;
import java.util.List;

/**
 * What the source reports, in commit order: a transaction is {@link Begin}, its changes, then
 * {@link Commit}. Consumers switch over the permitted records.
 */
public sealed interface ChangeEvent {

    /** Starts a source transaction; {@code commitLsn} is where its commit record lies. */
    record Begin(long xid, Lsn commitLsn, Instant commitTime) implements ChangeEvent {}

    /**
     * Ends a source transaction. {@code endLsn} is just past the commit record: the position to
     * confirm to the slot once the transaction is durable on the target.
     */
    record Commit(Lsn commitLsn, Lsn endLsn, Instant commitTime) implements ChangeEvent {}

    /** A change to one row. */
    sealed interface RowChange extends ChangeEvent {
        Relation relation();
    }

    record Insert(Relation relation, Tuple after) implements RowChange {}

    /**
     * An update. {@code before} is the old key (when the key changed) or the whole old row (under
     * {@code REPLICA IDENTITY FULL}), and {@code null} when the key did not change.
     */
    record Update(Relation relation, Tuple before, Tuple after) implements RowChange {}

    /** A delete; {@code before} holds the key columns, or every column under {@code REPLICA IDENTITY FULL}. */
    record Delete(Relation relation, Tuple before) implements RowChange {}

    record Truncate(List<Relation> relations, boolean cascade, boolean restartIdentity) implements ChangeEvent {
        public Truncate {
            relations = List.copyOf(relations);
        }
    }

    /** A logical decoding message ({@code pg_logical_emit_message}); DDL capture rides on these. */
    record Message(Lsn lsn, boolean transactional, String prefix, byte[] content) implements ChangeEvent {}

    /**
     * A schema change made on the source, captured by DDL capture and decoded from its logical
     * message: applied on the target in commit order, before the rows that follow it.
     */
    record SchemaChange(Lsn lsn, DdlCommand command) implements ChangeEvent {}
}
