package dev.sluice.branching;

import dev.sluice.localpg.LocalPostgres;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps main's postmaster running while the store is open: when it exits without being asked to (the
 * OOM killer, {@code kill -9}, a crash), it is started again on the same port and data directory,
 * and runs crash recovery from its WAL, so every committed transaction is back. Without this the
 * pipeline's retries and every branch create would fail until someone restarted the store.
 *
 * <p>One platform thread checks every {@link #CHECK_INTERVAL}; a failed start (e.g. the port was taken
 * meanwhile, or backends of the dead postmaster still hold its shared memory) is tried again after a
 * backoff that doubles from {@link #FIRST_BACKOFF} up to {@link #MAX_BACKOFF}. {@link #close()} stops the thread and waits for it, so the
 * owner can stop main afterwards without a restart racing it; a JVM that is shutting down (whose hook
 * stops every server) gets no restart either.
 */
final class MainSupervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MainSupervisor.class);

    static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private static final int LOG_LINES = 10;
    private static final int LOG_TAIL_BYTES = 16 * 1024;

    private final LocalPostgres postgres;
    private final Clock clock;
    private final Thread thread;
    private volatile boolean closed;
    private volatile MainRestarts restarts = MainRestarts.NONE;

    private MainSupervisor(LocalPostgres postgres, Clock clock) {
        this.postgres = postgres;
        this.clock = clock;
        this.thread =
                Thread.ofPlatform().name("sluice-main-supervisor").daemon().unstarted(this::superviseQuietly);
    }

    /** Supervises {@code postgres}, which runs; {@code clock} stamps the restarts. */
    static MainSupervisor start(LocalPostgres postgres, Clock clock) {
        MainSupervisor supervisor = new MainSupervisor(postgres, clock);
        supervisor.thread.start();
        return supervisor;
    }

    MainRestarts restarts() {
        return restarts;
    }

    /**
     * Stops supervising and waits for the thread to end; a restart under way is interrupted (or
     * completes), so the owner stops main afterwards.
     */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void superviseQuietly() {
        try {
            supervise();
        } catch (InterruptedException e) {
            // close() asked the thread to end.
        } catch (RuntimeException e) {
            LOG.error("supervising main ({}) failed; main is no longer restarted when it dies", postgres, e);
        }
    }

    private void supervise() throws InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        Duration pause = CHECK_INTERVAL;
        boolean down = false;
        while (!closed) {
            Thread.sleep(pause);
            pause = CHECK_INTERVAL;
            if (postgres.isRunning()) {
                continue;
            }
            if (closed || jvmShuttingDown()) {
                return;
            }
            if (!down) {
                OptionalInt exit = postgres.exitCode();
                LOG.warn(
                        "main's postmaster (data directory {}) exited on its own with status {}; starting it again."
                                + " Last lines of {}:\n{}",
                        postgres.dataDirectory(),
                        exit.isPresent() ? Integer.toString(exit.getAsInt()) : "unknown",
                        postgres.logFile(),
                        logTail(postgres.logFile()));
                down = true;
                backoff = FIRST_BACKOFF;
            }
            try {
                postgres.start();
            } catch (RuntimeException e) {
                if (closed || Thread.currentThread().isInterrupted()) {
                    return;
                }
                LOG.warn("starting main again failed; next attempt in {}: {}", backoff, e.getMessage());
                pause = backoff;
                backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
                continue;
            }
            restarts = restarts.next(clock.instant());
            down = false;
            LOG.info("main runs again on port {} after crash recovery from its WAL", postgres.port());
        }
    }

    /**
     * The last lines of main's server log, without those that can quote SQL or data (the statement a
     * crashed backend ran, a COPY line, a key's values): the log of the anonymized replica is not the place for them
     * either, but a warning must not spread them further.
     */
    static String logTail(Path logFile) {
        try (SeekableByteChannel channel = Files.newByteChannel(logFile)) {
            long start = Math.max(0, channel.size() - LOG_TAIL_BYTES);
            ByteBuffer buffer = ByteBuffer.allocate((int) (channel.size() - start));
            channel.position(start);
            while (buffer.hasRemaining() && channel.read(buffer) >= 0) {
                // read to the end
            }
            List<String> lines = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8)
                    .lines()
                    .skip(start > 0 ? 1 : 0) // the first line may be cut
                    .filter(MainSupervisor::safeToLog)
                    .toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_LINES), lines.size()));
        } catch (IOException e) {
            return "(could not read " + logFile + ": " + e + ")";
        }
    }

    private static boolean safeToLog(String line) {
        return !line.contains("STATEMENT:")
                && !line.contains("DETAIL:")
                && !line.contains("CONTEXT:")
                && !line.contains("Failed process was running")
                && !line.startsWith("\t")
                && !line.startsWith(" ");
    }

    /** Whether the JVM runs its shutdown hooks: one of them stops every server, which is no crash. */
    private static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
