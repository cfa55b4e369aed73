package dev.sluice.core;

/** Waiting for threads that own a resource the caller takes back. */
public final class Threads {

    private Threads() {}

    /**
     * Waits until {@code thread} has ended, interrupt or not: the resource it owns must not be touched
     * by anyone else while it runs. An interrupt received meanwhile is kept for the caller.
     */
    public static void joinUninterruptibly(Thread thread) {
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
