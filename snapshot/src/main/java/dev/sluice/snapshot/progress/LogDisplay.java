package dev.sluice.snapshot.progress;

import dev.sluice.snapshot.progress.SnapshotProgress.Phase;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One INFO line at a fixed interval while the snapshot runs, for logs nobody watches live. */
final class LogDisplay implements ProgressDisplay {

    private static final Logger log = LoggerFactory.getLogger(SnapshotProgress.class);

    private final SnapshotProgress progress;
    private final ScheduledExecutorService timer;

    private LogDisplay(SnapshotProgress progress) {
        this.progress = progress;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-progress");
            t.setDaemon(true);
            return t;
        });
    }

    static LogDisplay start(SnapshotProgress progress, Duration interval) {
        LogDisplay display = new LogDisplay(progress);
        display.timer.scheduleAtFixedRate(
                display::tick, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
        return display;
    }

    private void tick() {
        try {
            SnapshotProgress.View v = progress.view();
            if (v.phase() != Phase.NOT_STARTED && v.phase() != Phase.DONE) {
                log.info(ProgressFormat.logLine(v));
            }
        } catch (RuntimeException e) {
            log.debug("Progress line failed", e);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
