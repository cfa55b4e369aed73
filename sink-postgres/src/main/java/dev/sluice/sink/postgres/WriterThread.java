package dev.sluice.sink.postgres;

import dev.sluice.core.Threads;
import dev.sluice.core.event.ChangeEvent.Begin;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.BiFunction;

/**
 * Runs the sink's work on the target connection, in the order submitted, on a thread of its own:
 * the target writes and commits one unit of changes while the apply thread folds the next.
 *
 * <p>Between its start and {@link #finish} only this thread touches the connection. At most
 * {@link #AHEAD} steps wait behind the one running, which bounds the units held in memory. The
 * first step that fails ends all work: its failure is translated on this thread, where it can
 * still describe what was being written, and every later step is dropped, so after a failure
 * nothing more reaches the target, a commit least of all. The submitter gets the failure from
 * its next call.
 */
final class WriterThread {

    /** Steps that may wait behind the running one: a unit and the commit after it. */
    static final int AHEAD = 2;

    /** Work on the target connection. */
    @FunctionalInterface
    interface Step {
        void run(Connection conn) throws SQLException;
    }

    /** A read from the target connection whose answer the submitter waits for. */
    @FunctionalInterface
    interface Query<T> {
        T run(Connection conn) throws SQLException;
    }

    /** A step, the source transaction being applied when it was submitted, and who waits for it. */
    private record Task(Step step, Begin at, CompletableFuture<?> done) {}

    private static final Task END = new Task(conn -> {}, null, null);

    private final Connection conn;
    private final BiFunction<SQLException, Begin, RuntimeException> translate;
    private final ArrayBlockingQueue<Task> queue = new ArrayBlockingQueue<>(AHEAD);
    private final Thread thread;
    private volatile Throwable failure;
    private Begin at;

    /**
     * @param translate turns a failed statement into the error to report, given the source
     *     transaction being applied when its step was submitted (null between transactions)
     */
    WriterThread(Connection conn, String pipeline, BiFunction<SQLException, Begin, RuntimeException> translate) {
        this.conn = conn;
        this.translate = translate;
        this.thread = Thread.ofPlatform()
                .name("sluice-target-writer-" + pipeline)
                .daemon()
                .start(this::loop);
    }

    /** Names the source transaction that steps submitted from now on belong to; null between transactions. */
    void at(Begin begin) {
        this.at = begin;
    }

    /** Queues a step, waiting while {@link #AHEAD} steps wait; rethrows an earlier step's failure. */
    void submit(Step step) {
        enqueue(new Task(step, at, null));
    }

    /** Runs a query after every step submitted before it and returns its answer. */
    <T> T call(Query<T> query) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        enqueue(new Task(conn -> answer.complete(query.run(conn)), at, answer));
        try {
            return answer.get();
        } catch (ExecutionException e) {
            rethrow();
            throw new IllegalStateException("the target writer failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the target to answer", e);
        }
    }

    /** Throws the failure that ended the work, if any. */
    void rethrow() {
        Threads.rethrow(failure);
    }

    /**
     * Runs every step submitted (none after a failure), then stops; the connection is the
     * caller's again.
     *
     * @return the failure that ended the work, or null
     */
    Throwable finish() {
        if (thread.isAlive()) {
            Threads.uninterruptibly(() -> queue.put(END));
        }
        Threads.joinUninterruptibly(thread);
        return failure;
    }

    private void enqueue(Task task) {
        rethrow();
        try {
            queue.put(task);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the target to take more changes", e);
        }
    }

    private void loop() {
        while (true) {
            Task task = take();
            if (task == END) {
                return;
            }
            if (failure == null) {
                try {
                    task.step().run(conn);
                    continue;
                } catch (SQLException e) {
                    failure = translated(e, task.at());
                } catch (Throwable e) {
                    // Errors too: this thread must live on to drop what follows, or submitters would wait forever.
                    failure = e;
                }
            }
            if (task.done() != null) {
                task.done().completeExceptionally(failure);
            }
        }
    }

    private Throwable translated(SQLException e, Begin at) {
        try {
            return translate.apply(e, at);
        } catch (Throwable bug) {
            bug.addSuppressed(e);
            return bug;
        }
    }

    /** Nobody interrupts this thread; were it to happen, it must still drain the queue so no submitter waits forever. */
    private Task take() {
        while (true) {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                if (failure == null) {
                    failure = new IllegalStateException("the target writer was interrupted", e);
                }
            }
        }
    }
}
