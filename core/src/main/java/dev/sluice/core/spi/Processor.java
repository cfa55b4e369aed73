package dev.sluice.core.spi;

import dev.sluice.core.event.ChangeEvent.RowChange;

/** Rewrites or drops row changes between source and sink (filters, anonymization). Must be a pure function. */
@FunctionalInterface
public interface Processor {

    /** The change to pass on, or {@code null} to drop it. */
    RowChange process(RowChange change);
}
