package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.spi.Sink;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Hands decoded events to the sink on a thread of its own, so that reading and decoding the next
 * changes overlaps with writing these to the target.
 *
 * <p>Events travel in chunks, in order. The chunks in flight are bounded by an estimate of their
 * size in memory, so a stream of multi-megabyte values holds back the reader instead of filling the
 * heap. The sink is only ever called from this thread; when nothing is queued it is told it is
 * idle, so grouped transactions still commit on time.
 */
final class ApplyThread {

    private static final List<ChangeEvent> END = List.of();
    private static final long POLL_MILLIS = 5;

    private final Sink sink;
    private final LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
    private final Semaphore budgetKib;
    private final int budget;
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final Thread thread;
    private volatile boolean abandoned;

    private record Chunk(List<ChangeEvent> events, int kib) {}

    ApplyThread(Sink sink, long budgetBytes) {
        this.sink = sink;
        this.budget = (int) Math.max(1, budgetBytes / 1024);
        this.budgetKib = new Semaphore(budget);
        this.thread = new Thread(this::loop, "sluice-apply");
        thread.setDaemon(true);
        thread.start();
    }

    /** Queues a chunk, waiting while the chunks in flight exceed the budget; rethrows an apply failure. */
    void submit(List<ChangeEvent> events, long bytes) throws InterruptedException {
        int kib = (int) Math.min(budget, Math.max(1, bytes / 1024));
        while (!budgetKib.tryAcquire(kib, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            rethrow();
        }
        rethrow();
        queue.add(new Chunk(events, kib));
    }

    /** Applies everything submitted, then stops; rethrows an apply failure. */
    void finish() throws InterruptedException {
        queue.add(new Chunk(END, 0));
        thread.join();
        rethrow();
    }

    /** Stops after the chunk being applied, dropping the rest: the slot sends them again. */
    void abandon() {
        abandoned = true;
        queue.add(new Chunk(END, 0));
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Throws the failure that stopped the apply thread, if any. */
    void rethrow() {
        RuntimeException e = failure.get();
        if (e != null) {
            throw e;
        }
    }

    private void loop() {
        try {
            while (!abandoned) {
                Chunk chunk = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (chunk == null) {
                    sink.idle();
                    continue;
                }
                if (chunk.events() == END) {
                    return;
                }
                for (ChangeEvent event : chunk.events()) {
                    sink.accept(event);
                }
                budgetKib.release(chunk.kib());
            }
        } catch (RuntimeException e) {
            failure.set(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
