package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import java.sql.Connection;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Source transactions committed one after another on a thread of their own until stopped; a
 * failure is kept and fails {@link #stopAndCheck}. Subclasses write one transaction.
 */
abstract class Workload implements AutoCloseable {

    private final TestDatabase source;
    private final AtomicBoolean stop = new AtomicBoolean();
    final AtomicLong transactions = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private Thread thread;

    Workload(TestDatabase source) {
        this.source = source;
    }

    /** Prepares the statements on the connection, then runs {@link Transaction#run} until stopped. */
    abstract Transaction prepare(Connection c) throws Exception;

    /** One source transaction, committed by the caller. */
    @FunctionalInterface
    interface Transaction {
        void run() throws Exception;
    }

    void start() {
        thread = new Thread(this::loop, "workload");
        thread.start();
    }

    private void loop() {
        try (Connection c = source.connect()) {
            c.setAutoCommit(false);
            Transaction transaction = prepare(c);
            while (!stop.get()) {
                transaction.run();
                c.commit();
                transactions.incrementAndGet();
            }
        } catch (Throwable t) {
            failure.set(t);
        }
    }

    /** Stops, and checks that every transaction went through and more than 100 of them did. */
    void stopAndCheck() throws InterruptedException {
        stop.set(true);
        thread.join();
        assertThat(failure.get()).isNull();
        assertThat(transactions.get()).isGreaterThan(100);
    }

    @Override
    public void close() {
        stop.set(true);
        if (thread != null) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
