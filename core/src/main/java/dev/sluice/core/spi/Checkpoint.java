package dev.sluice.core.spi;

import dev.sluice.core.Lsn;

/** Told by a sink when source transactions are durable on the target. May be called from any thread. */
@FunctionalInterface
public interface Checkpoint {

    /** Every source transaction ending at or before {@code endLsn} is committed on the target. */
    void durable(Lsn endLsn);
}
