package dev.sluice.pipeline.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns SIGTERM and Ctrl-C into a graceful stop that exits 0.
 *
 * <p>The JVM runs shutdown hooks on a signal and then exits with 128 + the signal number. The hook
 * here asks the work to stop, waits until the main thread has finished its cleanup (the transaction
 * in flight completed or rolled back, the position reported), and then ends the process with 0,
 * since stopping on request is a success.
 */
final class Shutdown {

    private static final long CLEANUP_TIMEOUT_SECONDS = 60;

    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean exitingNormally;

    private Shutdown() {}

    /** Installs the hook; {@code stop} must make the work return promptly. */
    static Shutdown onSignal(Runnable stop) {
        Shutdown shutdown = new Shutdown();
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
            boolean done = finished.await(CLEANUP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
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
}
