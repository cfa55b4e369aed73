package dev.sluice.core.event;

import dev.sluice.core.TableId;
import java.util.List;

/**
 * A source table's shape as the WAL describes it: the columns that row events carry, in order.
 *
 * <p>A relation is announced before the first row that uses it and again whenever its shape
 * changes, so a row event always carries the shape it was written with.
 */
public record Relation(int oid, TableId table, ReplicaIdentity replicaIdentity, List<Column> columns) {

    public Relation {
        columns = List.copyOf(columns);
    }

    /** One column: its name, type OID and modifier on the source, and whether it is part of the replica identity. */
    public record Column(String name, int typeOid, int typeModifier, boolean key) {}

    /** {@code REPLICA IDENTITY} of the table, which decides what old values updates and deletes carry. */
    public enum ReplicaIdentity {
        /** Primary key. */
        DEFAULT,
        /** Nothing: updates and deletes cannot be replicated. */
        NOTHING,
        /** Every column. */
        FULL,
        /** A chosen unique index. */
        INDEX;

        public static ReplicaIdentity fromCode(char code) {
            return switch (code) {
                case 'd' -> DEFAULT;
                case 'n' -> NOTHING;
                case 'f' -> FULL;
                case 'i' -> INDEX;
                default -> throw new IllegalArgumentException("unknown replica identity code '" + code + "'");
            };
        }
    }

    public int columnCount() {
        return columns.size();
    }

    public Column column(int index) {
        return columns.get(index);
    }
}
