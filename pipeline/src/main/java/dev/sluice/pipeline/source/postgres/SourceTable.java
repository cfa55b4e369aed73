package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.TableId;

/**
 * A table on the source with what decides whether its updates and deletes can be replicated.
 *
 * @param hasIdentity whether updates and deletes carry enough to find the row: a primary key under
 *     the default replica identity, a valid identity index, or {@code REPLICA IDENTITY FULL}; for a
 *     partitioned table, whether every leaf partition has one
 */
public record SourceTable(TableId id, boolean partitioned, boolean hasIdentity) {

    /** The statement that gives the table an identity, for messages. */
    public String identityFix() {
        return partitioned
                ? "ALTER TABLE <each partition of " + id + "> REPLICA IDENTITY FULL;"
                : "ALTER TABLE " + id.quoted() + " REPLICA IDENTITY FULL;";
    }
}
