package dev.sluice.core.spi;

import dev.sluice.core.Lsn;
import dev.sluice.core.event.ChangeEvent;

/**
 * Writes change events to a target.
 *
 * <p>Events arrive from one thread, in source commit order. A sink may buffer them; a source
 * transaction becomes durable only when the sink reports its end position to the {@link
 * Checkpoint}, and the source must not confirm anything to the slot before that. After a restart
 * the source may deliver transactions the target already holds; the sink skips them.
 */
public interface Sink extends AutoCloseable {

    /**
     * Prepares the target and returns the end position of the last source transaction it holds,
     * or {@link Lsn#INVALID} when it holds none. Called once, before the first event.
     */
    Lsn start(Checkpoint checkpoint);

    /** Takes the next event. */
    void accept(ChangeEvent event);

    /**
     * Called when the source has had nothing to deliver for a moment, so that buffered, complete
     * transactions become durable within the sink's time bound even when traffic stops.
     */
    default void idle() {}

    /** Releases the target connection; a transaction still open is rolled back, never half applied. */
    @Override
    void close();
}
