package dev.sluice.core;

/** Waiting for threads that own a resource the caller takes back, and taking over their failures. */
public final class Threads {

    private Threads() {}

    /** A blocking call that an interrupt cuts short. */
    @FunctionalInterface
    public interface Blocking {
        void run() throws InterruptedException;
    }

    /**
     * Runs {@code call} to its end, interrupt or not, for waits the caller may not give up on. An
     * interrupt received meanwhile is kept for the caller.
     */
    public static void uninterruptibly(Blocking call) {
        boolean interrupted = false;
        while (true) {
            try {
                call.run();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until {@code thread} has ended, interrupt or not: the resource it owns must not be touched
     * by anyone else while it runs. An interrupt received meanwhile is kept for the caller.
     */
    public static void joinUninterruptibly(Thread thread) {
        uninterruptibly(thread::join);
    }

    /**
     * Throws a failure another thread handed over, as it was: a {@link RuntimeException} or an
     * {@link Error}, which is all a worker thread that catches {@code RuntimeException | Error}
     * records. Does nothing for null.
     */
    public static void rethrow(Throwable failure) {
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }
}
