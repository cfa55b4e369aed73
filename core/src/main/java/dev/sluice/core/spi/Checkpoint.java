package dev.sluice.core.spi;

import dev.sluice.core.Lsn;

/**
 * Told by a sink when source transactions are durable on the target. A sink calls it only from
 * within its own methods, on the thread making that call, so an implementation needs no more
 * synchronization than the sink's callers already have.
 */
@FunctionalInterface
public interface Checkpoint {

    /** Every source transaction ending at or before {@code endLsn} is committed on the target. */
    void durable(Lsn endLsn);
}
