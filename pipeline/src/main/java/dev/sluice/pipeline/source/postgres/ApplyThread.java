package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.Threads;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.spi.Sink;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

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
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
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

    /**
     * Queues a chunk, waiting while the chunks in flight exceed the budget; rethrows an apply
     * failure. While it waits, {@code whileWaiting} runs every few milliseconds (the reader keeps its
     * stream alive there) and may give up by returning false, in which case the chunk is not queued.
     *
     * @return whether the chunk was queued
     */
    boolean submit(List<ChangeEvent> events, long bytes, BooleanSupplier whileWaiting) throws InterruptedException {
        int kib = (int) Math.min(budget, Math.max(1, bytes / 1024));
        while (!budgetKib.tryAcquire(kib, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            rethrow();
            if (!whileWaiting.getAsBoolean()) {
                return false;
            }
        }
        rethrow();
        queue.add(new Chunk(events, kib));
        return true;
    }

    /** Applies everything submitted, then stops; rethrows an apply failure. */
    void finish() {
        queue.add(new Chunk(END, 0));
        Threads.joinUninterruptibly(thread);
        rethrow();
    }

    /** Stops after the chunk being applied, dropping the rest: the slot sends them again. */
    void abandon() {
        abandoned = true;
        queue.add(new Chunk(END, 0));
        Threads.joinUninterruptibly(thread);
    }

    /** Throws the failure that stopped the apply thread, if any. */
    void rethrow() {
        Threads.rethrow(failure.get());
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
        } catch (RuntimeException | Error e) {
            failure.set(e);
        } catch (InterruptedException e) {
            failure.set(new IllegalStateException("the apply thread was interrupted", e));
        }
    }
}
