package dev.sluice.branching;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Holds whatever reaches a store's step until released, so that a test can look at the store in
 * the middle of an operation. Closing releases it and removes the hook.
 */
final class HeldStep implements AutoCloseable {

    private final BranchStore store;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    HeldStep(BranchStore store, String step) {
        this.store = store;
        store.onStep(name -> {
            if (name.equals(step)) {
                reached.countDown();
                try {
                    released.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
    }

    /** Whether an operation reached the step within a minute. */
    boolean reached() throws InterruptedException {
        return reached.await(1, TimeUnit.MINUTES);
    }

    void release() {
        released.countDown();
    }

    @Override
    public void close() {
        release();
        store.onStep(name -> {});
    }
}
