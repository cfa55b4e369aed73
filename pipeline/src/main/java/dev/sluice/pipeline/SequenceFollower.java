package dev.sluice.pipeline;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.snapshot.SequenceSync;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the target's sequences in step with the source's, since pgoutput carries no sequence
 * changes. Directly: run once after a snapshot, then on a schedule while streaming. From Kafka
 * ({@link #fromKafka}): the values of each {@code sequences} record the consumer reads.
 *
 * <p>A sync that fails, or leaves sequences unsynced for a reason a person must fix, is logged as a
 * warning once per distinct message, not on every tick, and the next tick tries again; nothing here
 * throws (but a lost target from Kafka, see {@link #apply}), so a broken sync never stops
 * replication. Calls must not overlap: the pipeline runs them on one thread, and {@link #apply}
 * (called by every partition's applier) is synchronized.
 */
final class SequenceFollower {

    private static final Logger log = LoggerFactory.getLogger(SequenceFollower.class);

    private final SequenceSync sync;
    private final PgUrl target;
    private final AtomicLong synced;
    private final String when;
    private String lastProblem;
    /** Sequences a Kafka record named that the target lacked, each reported once. */
    private final Set<String> reportedMissing = new HashSet<>();

    /**
     * @param synced counts the target sequences moved
     * @param when what a warning says about retrying, e.g. "retrying every 10 s"
     */
    SequenceFollower(SluiceConfig config, AtomicLong synced, String when) {
        this.sync = new SequenceSync(config.sourceUrl(), config.targetUrl(), config.tables());
        this.target = config.targetUrl();
        this.synced = synced;
        this.when = when;
    }

    private SequenceFollower(PgUrl target, AtomicLong synced) {
        this.sync = null;
        this.target = target;
        this.synced = synced;
        this.when = "the next sequences record retries";
    }

    /** The follower a Kafka consumer hands the values of each {@code sequences} record to ({@link #apply}). */
    static SequenceFollower fromKafka(PgUrl target, AtomicLong synced) {
        return new SequenceFollower(target, synced);
    }

    /** The follower {@link Pipeline} runs every {@code source.sequence_sync_interval}. */
    static SequenceFollower scheduled(SluiceConfig config, AtomicLong synced) {
        Duration interval = config.sequenceSyncInterval();
        String every = interval.toMillis() % 1000 == 0 ? interval.toSeconds() + " s" : interval.toMillis() + " ms";
        return new SequenceFollower(config, synced, "retrying every " + every);
    }

    /**
     * Brings the target's sequences up to the source's once a snapshot is copied, so inserts on
     * staging do not collide with copied ids before streaming's first sync; does nothing when
     * {@code source.sequence_sync_interval} is 0.
     */
    static void afterSnapshot(SluiceConfig config) {
        if (!config.sequenceSyncInterval().isZero()) {
            AtomicLong synced = new AtomicLong();
            SequenceFollower once = new SequenceFollower(config, synced, "after the snapshot; streaming retries");
            once.syncOnce();
            if (once.lastProblem == null) {
                log.info("Moved {} target sequence(s) up to the source's values", synced.get());
            }
        }
    }

    /** Syncs once; logs instead of throwing. */
    void syncOnce() {
        String problem;
        try {
            problem = counted(sync.sync());
        } catch (RuntimeException e) {
            problem = "Syncing sequences failed (" + when + "): " + e.getMessage();
        }
        report(problem);
    }

    /**
     * Moves the target's sequences up to the values a {@code sequences} record of the topic carries
     * (never back, so a record applied again changes nothing). A sequence the target lacks is
     * reported once as a warning (its table may arrive later, or schema changes are not captured).
     *
     * @throws SluiceException with {@link Reason#TARGET_UNREACHABLE} when the target cannot be
     *     reached, so that the consumer retries and the record is read again; any other failure is
     *     logged, not thrown
     */
    synchronized void apply(List<SequenceState> states) {
        String problem;
        try {
            SequenceSync.Result result = SequenceSync.applyToTarget(target, states);
            problem = counted(result);
            List<String> missing =
                    result.missing().stream().filter(reportedMissing::add).toList();
            if (!missing.isEmpty()) {
                log.warn(
                        "{} sequence(s) of the Kafka topic are not on the target, so they are not set: {} (one"
                                + " whose table is still on its way is set by the record the producer sends after"
                                + " that table's schema change; reported once)",
                        missing.size(),
                        String.join(", ", missing));
            }
        } catch (SluiceException e) {
            if (e.reason() == Reason.TARGET_UNREACHABLE) {
                throw e;
            }
            problem = "Setting sequences failed (" + when + "): " + e.getMessage();
        }
        report(problem);
    }

    /** Counts what a sync set; returns what a person should fix about it, or null. */
    private String counted(SequenceSync.Result result) {
        synced.addAndGet(result.set());
        if (result.set() > 0) {
            log.debug("Moved {} target sequence(s) up to the source's values", result.set());
        }
        return result.problem()
                .map(p -> "Some sequences are not synced (" + when + "): " + p)
                .orElse(null);
    }

    private void report(String problem) {
        if (problem == null) {
            if (lastProblem != null) {
                log.info("Sequences are in step with the source again");
            }
        } else if (!problem.equals(lastProblem)) {
            log.warn("{}", problem);
        } else {
            log.debug("{}", problem);
        }
        lastProblem = problem;
    }
}
