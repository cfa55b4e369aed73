package dev.sluice.core.spi;

import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;
import java.util.BitSet;

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
     * The positions of the relation's columns whose values {@link #process} may read or change in
     * a row of the relation; every column by default, which is always true. {@link #process} must
     * pass every other column on untouched, as the same {@code String} instance ({@link
     * dev.sluice.core.event.Tuple#with} does), and its result must not depend on their values: the
     * snapshot decodes only these columns of each row, hands the others to the processor as
     * placeholders, and copies their bytes as the source sent them.
     *
     * @return a new set, which the caller may change
     */
    default BitSet columnsUsed(Relation relation) {
        BitSet all = new BitSet(relation.columnCount());
        all.set(0, relation.columnCount());
        return all;
    }

    /**
     * Told of each schema change replicated, in stream order: before the rows written under the
     * new shape reach {@link #process}.
     */
    default void schemaChanged(DdlCommand command) {}
}
