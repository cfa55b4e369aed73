package dev.sluice.pipeline;

import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.snapshot.SequenceSync;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the target's sequences in step with the source's, since pgoutput carries no sequence
 * changes: run once after a snapshot, then on a schedule while streaming.
 *
 * <p>A sync that fails, or leaves sequences unsynced for a reason a person must fix, is logged as a
 * warning once per distinct message, not on every tick, and the next tick tries again; nothing here
 * throws, so a broken sync never stops replication. Calls must not overlap (the pipeline runs them
 * on one thread).
 */
final class SequenceFollower {

    private static final Logger log = LoggerFactory.getLogger(SequenceFollower.class);

    private final SequenceSync sync;
    private final AtomicLong synced;
    private final String when;
    private String lastProblem;

    /**
     * @param synced counts the target sequences moved
     * @param when what a warning says about retrying, e.g. "retrying every 10 s"
     */
    SequenceFollower(SluiceConfig config, AtomicLong synced, String when) {
        this.sync = new SequenceSync(config.sourceUrl(), config.targetUrl(), config.tables());
        this.synced = synced;
        this.when = when;
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
            SequenceSync.Result result = sync.sync();
            synced.addAndGet(result.set());
            if (result.set() > 0) {
                log.debug("Moved {} target sequence(s) up to the source's values", result.set());
            }
            problem = result.problem()
                    .map(p -> "Some sequences are not synced (" + when + "): " + p)
                    .orElse(null);
        } catch (RuntimeException e) {
            problem = "Syncing sequences failed (" + when + "): " + e.getMessage();
        }
        report(problem);
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
