package dev.sluice.localpg;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Signals postmaster processes, and remembers the running ones so that none outlives the JVM.
 *
 * <p>The shutdown hook works on the {@link Process} handles alone, without the locks of {@link
 * LocalPostgres}: a JVM that exits while another thread is half-way through starting a server must
 * still stop that server, not wait for the start to finish.
 */
final class Postmasters {

    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    /** How long the hook leaves the servers to their owners, who may still be finishing work on them. */
    private static volatile Duration ownerGrace = Duration.ZERO;

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(Postmasters::stopAll, "sluice-postgres-shutdown"));
    }

    private Postmasters() {}

    static void ownerGrace(Duration grace) {
        ownerGrace = grace;
    }

    static void register(Process postmaster) {
        RUNNING.add(postmaster);
    }

    static void unregister(Process postmaster) {
        RUNNING.remove(postmaster);
    }

    /**
     * Shuts a postmaster down and waits for it: SIGINT first (fast shutdown: ends sessions, writes a
     * checkpoint), SIGQUIT when that takes longer than {@code patience} (immediate shutdown: crash
     * recovery at the next start), and SIGKILL last. {@link Process#destroy()} is no use here: its
     * SIGTERM asks for a smart shutdown, which waits for every client to disconnect.
     */
    static void stop(Process postmaster, Duration patience) {
        try {
            signal(postmaster, "INT");
            if (postmaster.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
                return;
            }
            signal(postmaster, "QUIT");
            if (postmaster.waitFor(10, TimeUnit.SECONDS)) {
                return;
            }
            postmaster.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            postmaster.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static void signal(Process process, String signal) {
        if (process.isAlive()) {
            // The shell's builtin kill: minimal images often lack procps, which ships /bin/kill.
            Exec.run(List.of("sh", "-c", "kill -" + signal + " " + process.pid()), Duration.ofSeconds(10));
        }
    }

    private static void stopAll() {
        // Shutdown hooks run all at once: an owner's hook may still be using its servers.
        long deadline = System.nanoTime() + ownerGrace.toNanos();
        while (!RUNNING.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        // Signal every server first, then wait, so that several servers shut down in parallel.
        List<Process> running = List.copyOf(RUNNING);
        for (Process p : running) {
            try {
                signal(p, "INT");
            } catch (RuntimeException e) {
                p.destroyForcibly();
            }
        }
        for (Process p : running) {
            stop(p, Duration.ofSeconds(10));
        }
    }
}
