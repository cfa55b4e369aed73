package dev.sluice.pipeline.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGTERM and Ctrl-C into a graceful stop that exits 0.
 *
 * <p>The JVM runs shutdown hooks on a signal and then exits with 128 + the signal number. The hook
 * here asks the work to stop, waits until the main thread has finished its cleanup (the transaction
 * in flight completed or rolled back, the position reported), and then ends the process with 0,
 * since stopping on request is a success. A cleanup that a server holds up (a lock on the target, a
 * half-open socket) gets a timeout, after which the process says so and exits with 1: nothing is
 * lost, because the next run resumes from what the target committed.
 */
final class Shutdown {

    private final CountDownLatch finished = new CountDownLatch(1);
    private final Duration timeout;
    private volatile boolean exitingNormally;

    private Shutdown(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Installs the hook; {@code stop} must make the work return promptly. After {@code timeout}
     * without the main thread's cleanup, the process exits with 1.
     */
    static Shutdown onSignal(Runnable stop, Duration timeout) {
        Shutdown shutdown = new Shutdown(timeout);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shutdown.handle(stop), "sluice-shutdown"));
        return shutdown;
    }

    private void handle(Runnable stop) {
        if (exitingNormally) {
            return;
        }
        System.err.println("Stopping: finishing the transaction in flight...");
        stop.run();
        try {
            boolean done = finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!done) {
                // A server that stopped answering (a lock held on the target, a half-open socket) must
                // not keep the process alive; what was committed decides where the next run resumes.
                System.err.println("Stopping did not finish within " + readable(timeout) + " (a server"
                        + " did not answer; shutdown.timeout); exiting without it. What was committed stays, and"
                        + " the next start picks up from there (a pipeline: after the last position the target"
                        + " committed).");
            }
            System.out.flush();
            System.err.flush();
            Runtime.getRuntime().halt(done ? 0 : 1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Called by the main thread when its cleanup is complete, whether or not a signal arrived. */
    void finished() {
        finished.countDown();
    }

    /** Called before a normal exit, so the hook does not override the exit code. */
    void exitingNormally() {
        exitingNormally = true;
    }

    private static String readable(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
