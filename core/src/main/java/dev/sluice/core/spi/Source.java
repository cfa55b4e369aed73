package dev.sluice.core.spi;

/**
 * Produces change events in commit order.
 *
 * <p>{@link #run} blocks on the calling thread until {@link #stop} is called from another thread
 * or a failure ends it. On stop it returns after the sink has been given a chance to make complete
 * transactions durable; an incomplete one is left for the next run.
 */
public interface Source extends AutoCloseable {

    void run(Sink sink);

    /** Asks {@link #run} to return; safe from any thread, including a shutdown hook. */
    void stop();

    @Override
    void close();
}
