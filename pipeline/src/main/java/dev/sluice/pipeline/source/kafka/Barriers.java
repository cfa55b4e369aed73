package dev.sluice.pipeline.source.kafka;

import dev.sluice.core.Lsn;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Where each partition's applier stands, so that appliers meet at barriers ({@link
 * dev.sluice.pipeline.kafka.StreamRecord.Barrier}): partition 0 applies a barrier transaction only
 * once every other partition has applied everything before it, and the others go on past it only
 * once partition 0 has applied it. Thread-safe; appliers block in the await methods.
 */
final class Barriers {

    private final Lsn[] appliedEnd;
    private final Lsn[] waitingAt;

    Barriers(int partitions) {
        appliedEnd = new Lsn[partitions];
        waitingAt = new Lsn[partitions];
        Arrays.fill(appliedEnd, Lsn.INVALID);
    }

    /** Partition {@code p}'s target holds every transaction of it ending at or before {@code end}. */
    synchronized void applied(int p, Lsn end) {
        appliedEnd[p] = Lsn.max(appliedEnd[p], end);
        notifyAll();
    }

    /** The end of the last transaction partition {@code p}'s target holds. */
    synchronized Lsn appliedEnd(int p) {
        return appliedEnd[p];
    }

    /** Whether partition 0 has applied the transaction committed at {@code commitLsn}. */
    synchronized boolean zeroApplied(Lsn commitLsn) {
        return appliedEnd[0].isAfter(commitLsn);
    }

    /**
     * A stop ended a wait at a barrier: the partitions did not all meet there, so nothing after the
     * barrier may reach the target. Thrown rather than returned, so that no caller can go on past it.
     */
    static final class Stopped extends Exception {
        Stopped() {
            super(null, null, false, false);
        }
    }

    /**
     * For a partition other than 0, at its barrier marker with nothing uncommitted: waits until
     * partition 0 applied the barrier transaction.
     *
     * @throws Stopped when {@code stopped} turned true first
     */
    synchronized void arriveAndAwaitZero(int p, Lsn commitLsn, BooleanSupplier stopped)
            throws InterruptedException, Stopped {
        waitingAt[p] = commitLsn;
        notifyAll();
        try {
            while (!appliedEnd[0].isAfter(commitLsn)) {
                awaitUnlessStopped(stopped);
            }
        } finally {
            waitingAt[p] = null;
        }
    }

    /**
     * For partition 0 at its barrier marker: waits until every other partition waits at the same
     * barrier.
     *
     * @throws Stopped when {@code stopped} turned true first
     */
    synchronized void awaitOthers(Lsn commitLsn, BooleanSupplier stopped) throws InterruptedException, Stopped {
        while (!allOthersAt(commitLsn)) {
            awaitUnlessStopped(stopped);
        }
    }

    private void awaitUnlessStopped(BooleanSupplier stopped) throws InterruptedException, Stopped {
        if (stopped.getAsBoolean()) {
            throw new Stopped();
        }
        wait(100);
    }

    private boolean allOthersAt(Lsn commitLsn) {
        for (int p = 1; p < waitingAt.length; p++) {
            if (!Objects.equals(waitingAt[p], commitLsn)) {
                return false;
            }
        }
        return true;
    }
}
