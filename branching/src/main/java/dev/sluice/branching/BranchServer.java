package dev.sluice.branching;

import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The postmaster of one branch: started on demand, stopped when idle.
 *
 * <p>Clients reach it through a {@link WakingRelay}, which calls {@link #acquire()} before it relays
 * a connection and {@link #release()} after. All methods are serialized on this object, so an idle
 * stop can never hit a connection that is being set up: {@link #stopIfIdle} stops only while no
 * connection holds the server.
 */
final class BranchServer {

    private static final Logger LOG = LoggerFactory.getLogger(BranchServer.class);

    private final String name;
    private final Path dataDirectory;
    private final Path logFile;
    private final long logLimit;
    private final PostgresBinaries binaries;
    private final Map<String, String> settings;
    private final Clock clock;

    /** Written under this object's lock; read without it by {@link #state}. */
    private volatile LocalPostgres postgres;

    private int connections;
    private Instant lastUsed;
    private volatile boolean failed;
    private boolean retired;

    BranchServer(
            String name,
            Path dataDirectory,
            Path logFile,
            long logLimit,
            PostgresBinaries binaries,
            Map<String, String> settings,
            Clock clock) {
        this.name = name;
        this.dataDirectory = dataDirectory;
        this.logFile = logFile;
        this.logLimit = logLimit;
        this.binaries = binaries;
        this.settings = Map.copyOf(settings);
        this.clock = clock;
        this.lastUsed = clock.instant();
    }

    /** Starts the postmaster unless it runs; returns it. */
    synchronized LocalPostgres start() {
        if (retired) {
            // A relayed connection that raced a delete must not start a server on vanishing files.
            throw new IllegalStateException("branch " + name + " has been deleted");
        }
        if (postgres != null && postgres.isRunning()) {
            return postgres;
        }
        try {
            postgres = LocalPostgres.builder(dataDirectory)
                    .binaries(binaries)
                    .settings(settings)
                    .logFile(logFile)
                    .logLimit(logLimit)
                    .start();
        } catch (RuntimeException e) {
            failed = true;
            postgres = null;
            throw e;
        }
        failed = false;
        lastUsed = clock.instant();
        return postgres;
    }

    /** The running postmaster, if it runs. */
    synchronized Optional<LocalPostgres> running() {
        return postgres != null && postgres.isRunning() ? Optional.of(postgres) : Optional.empty();
    }

    /** Starts the server if needed for a new client connection; returns the port to relay to. */
    synchronized int acquire() {
        int port = start().port();
        connections++;
        lastUsed = clock.instant();
        return port;
    }

    /** A relayed connection has ended. */
    synchronized void release() {
        connections--;
        lastUsed = clock.instant();
    }

    /** Stops the postmaster when no client has used it for {@code idle}; true when it did. */
    synchronized boolean stopIfIdle(Duration idle) {
        if (postgres == null || connections > 0 || lastUsed.plus(idle).isAfter(clock.instant())) {
            return false;
        }
        LOG.info("branch {}: idle for {}, stopping its postmaster until the next connection", name, idle);
        stop();
        return true;
    }

    /**
     * Runs {@code work} while no connection can be relayed: clients that arrive meanwhile wait and
     * then reach whatever server {@code work} left behind.
     */
    synchronized void exclusively(Runnable work) {
        work.run();
    }

    /** Stops the postmaster for good: nothing starts it again. */
    synchronized void retire() {
        retired = true;
        stop();
    }

    synchronized void stop() {
        if (postgres != null) {
            postgres.stop();
            postgres = null;
        }
    }

    /**
     * Never waits for the lock: a wake, an idle stop or a reset holds it for seconds, and listing
     * the branches (the API, the metrics) must not wait behind them.
     */
    BranchState state() {
        if (failed) {
            return BranchState.FAILED;
        }
        LocalPostgres running = postgres;
        return running != null && running.isRunning() ? BranchState.RUNNING : BranchState.STOPPED;
    }
}
