package dev.sluice.sink.postgres;

import static dev.sluice.core.TableId.quoteIdent;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * How rows of one source relation are written to its target table, worked out once per relation
 * shape so that the per-row path only binds values.
 *
 * <p>Rows are addressed by the replica identity the source sends. Under {@code REPLICA IDENTITY
 * FULL} the target's primary key is used when it has one; otherwise the row is found by comparing
 * every old value, and only one matching row is touched, as PostgreSQL's own subscriber does, so
 * duplicate rows in a table without a key stay in step.
 */
final class TablePlan {

    private final Relation relation;
    private final String table;
    private final String[] columns;
    private final int[] key;
    private final boolean matchAllColumns;
    private final String copySql;
    private final String insertSql;
    private final Map<Shape, String> sqlByShape = new HashMap<>();

    /** Which columns an update sets and which old values identify the row; most rows share one shape. */
    record Shape(boolean delete, BitSet set, BitSet where) {}

    TablePlan(Relation relation, TargetTable target) {
        this.relation = relation;
        this.table = target.id().quoted();
        this.columns = new String[relation.columnCount()];
        for (int i = 0; i < columns.length; i++) {
            String name = relation.column(i).name();
            TargetTable.Column column = target.columns().get(name);
            if (column == null) {
                throw new SluiceException(
                        Reason.TARGET_SCHEMA,
                        "Column '" + name + "' of " + relation.table()
                                + " exists on the source but not on the target table " + target.id()
                                + ". Add it on the target (ALTER TABLE " + table + " ADD COLUMN " + quoteIdent(name)
                                + " ...), then restart.");
            }
            if (column.generated()) {
                throw new SluiceException(
                        Reason.TARGET_SCHEMA,
                        "Column '" + name + "' of " + target.id()
                                + " is generated on the target but the source sends its values. Make the column"
                                + " a plain column on the target, or stop publishing generated columns.");
            }
            columns[i] = quoteIdent(name);
        }
        this.key = keyColumns(relation, target);
        this.matchAllColumns = key.length == 0;
        String columnList = String.join(", ", columns);
        this.copySql = "COPY " + table + " (" + columnList + ") FROM STDIN";
        this.insertSql = "INSERT INTO " + table + " (" + columnList + ") VALUES ("
                + String.join(", ", Collections.nCopies(columns.length, "?")) + ")";
    }

    private static int[] keyColumns(Relation relation, TargetTable target) {
        List<Integer> key = new ArrayList<>();
        if (relation.replicaIdentity() == ReplicaIdentity.FULL) {
            // Every column is flagged; the target's primary key finds the row faster, when it has one.
            for (String pk : target.primaryKey()) {
                int index = indexOf(relation, pk);
                if (index < 0) {
                    return new int[0];
                }
                key.add(index);
            }
        } else {
            for (int i = 0; i < relation.columnCount(); i++) {
                if (relation.column(i).key()) {
                    key.add(i);
                }
            }
        }
        return key.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int indexOf(Relation relation, String column) {
        for (int i = 0; i < relation.columnCount(); i++) {
            if (relation.column(i).name().equals(column)) {
                return i;
            }
        }
        return -1;
    }

    Relation relation() {
        return relation;
    }

    String copySql() {
        return copySql;
    }

    String insertSql() {
        return insertSql;
    }

    /** The shape of an update; cheap for the common row without unchanged TOAST values. */
    Shape updateShape(Tuple before, Tuple after) {
        BitSet set = new BitSet(columns.length);
        for (int i = 0; i < columns.length; i++) {
            if (!after.isUnchangedToast(i)) {
                set.set(i);
            }
        }
        return new Shape(false, set, whereColumns(before));
    }

    Shape deleteShape(Tuple before) {
        return new Shape(true, new BitSet(), whereColumns(before));
    }

    private BitSet whereColumns(Tuple before) {
        BitSet where = new BitSet(columns.length);
        if (!matchAllColumns) {
            for (int k : key) {
                where.set(k);
            }
            return where;
        }
        requireIdentity(before);
        for (int i = 0; i < columns.length; i++) {
            if (!before.isUnchangedToast(i)) {
                where.set(i);
            }
        }
        return where;
    }

    private void requireIdentity(Tuple before) {
        if (before == null) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Table " + relation.table() + " has no primary key or replica identity on the source, so its"
                            + " updates and deletes cannot be matched to target rows. On the source, run ALTER TABLE "
                            + relation.table().quoted() + " REPLICA IDENTITY FULL (or add a primary key).");
        }
    }

    /** SQL for an update or delete of this shape; parameters are the set values, then the where values. */
    String sql(Shape shape) {
        return sqlByShape.computeIfAbsent(shape, this::buildSql);
    }

    private String buildSql(Shape shape) {
        StringBuilder sql = new StringBuilder(shape.delete() ? "DELETE FROM " : "UPDATE ").append(table);
        if (!shape.delete()) {
            StringJoiner set = new StringJoiner(", ", " SET ", "");
            for (int i = shape.set().nextSetBit(0); i >= 0; i = shape.set().nextSetBit(i + 1)) {
                set.add(columns[i] + " = ?");
            }
            sql.append(set);
        }
        StringJoiner where = new StringJoiner(" AND ");
        for (int i = shape.where().nextSetBit(0); i >= 0; i = shape.where().nextSetBit(i + 1)) {
            // Compared as text: the values arrived as text, and some types (json, point, xml) have no '='.
            where.add(matchAllColumns ? columns[i] + "::text IS NOT DISTINCT FROM ?" : columns[i] + " = ?");
        }
        if (matchAllColumns) {
            sql.append(" WHERE ctid = (SELECT ctid FROM ")
                    .append(table)
                    .append(" WHERE ")
                    .append(where)
                    .append(" LIMIT 1)");
        } else {
            sql.append(" WHERE ").append(where);
        }
        return sql.toString();
    }

    /** Where the key values of a row are: the old image when the source sent one, else the new row. */
    Tuple identity(Tuple before, Tuple after) {
        if (before != null) {
            return before;
        }
        if (matchAllColumns) {
            requireIdentity(null);
        }
        return after;
    }
}
