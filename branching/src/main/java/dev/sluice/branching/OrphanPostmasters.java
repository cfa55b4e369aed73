package dev.sluice.branching;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stops postmasters that a previous Sluice process left running on the store's data directories
 * when it died without its shutdown hook (SIGKILL, out of memory). PostgreSQL refuses to start on a
 * data directory whose postmaster still runs, so without this a crashed store could not be opened
 * again until someone killed them by hand.
 *
 * <p>Only safe because the caller holds the {@link StoreLock}: no other process serves this store, so
 * a postmaster running on its data is an orphan.
 */
final class OrphanPostmasters {

    private static final Logger LOG = LoggerFactory.getLogger(OrphanPostmasters.class);

    private OrphanPostmasters() {}

    /** Stops the postmaster that {@code dataDirectory/postmaster.pid} names, if it still runs. */
    static void stop(Path dataDirectory) {
        Optional<ProcessHandle> orphan = runningPostmaster(dataDirectory);
        if (orphan.isEmpty()) {
            return;
        }
        ProcessHandle process = orphan.get();
        LOG.warn(
                "stopping postmaster {} on {}, left running by a Sluice process that died",
                process.pid(),
                dataDirectory);
        // SIGTERM: a smart shutdown; its clients went with the relay of the dead process.
        process.destroy();
        try {
            process.onExit().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
        }
    }

    private static Optional<ProcessHandle> runningPostmaster(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        if (!Files.isRegularFile(pidFile)) {
            return Optional.empty();
        }
        try {
            List<String> lines = Files.readAllLines(pidFile);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).strip());
            // A pid can be reused: only a postgres process is taken for the orphan.
            return ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive)
                    .filter(p ->
                            p.info().command().map(c -> c.endsWith("postgres")).orElse(false));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
