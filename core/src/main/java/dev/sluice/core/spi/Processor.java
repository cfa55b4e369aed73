package dev.sluice.core.spi;

import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;

/** Rewrites or drops row changes between source and sink (filters, anonymization). Must be a pure function. */
@FunctionalInterface
public interface Processor {

    /** The change to pass on, or {@code null} to drop it. */
    RowChange process(RowChange change);

    /**
     * Whether this processor may rewrite or drop rows of the table. When no processor does, the
     * snapshot copies the table's rows byte for byte instead of parsing and encoding each one.
     */
    default boolean changes(Relation relation) {
        return true;
    }

    /**
     * Told of each schema change replicated, in stream order: before the rows written under the
     * new shape reach {@link #process}.
     */
    default void schemaChanged(DdlCommand command) {}
}
