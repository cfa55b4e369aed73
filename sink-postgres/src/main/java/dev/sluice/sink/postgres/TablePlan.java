package dev.sluice.sink.postgres;

import static dev.sluice.core.TableId.quoteIdent;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicInteger;

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
    private final String[] types;
    private final int[] allColumns;
    private final boolean conflatable;
    /** Columns GENERATED ALWAYS AS IDENTITY on the target: written on insert by override, never set by update. */
    private final BitSet alwaysIdentity = new BitSet();

    private final String stage;

    /** The shapes of most rows, made once: every column set (all were sent), addressed by the key. */
    private final Shape fullUpdate;

    private final Shape keyDelete;
    private final int[] key;
    private final boolean matchAllColumns;
    private final String copySql;
    private final String insertSql;
    private final Map<Shape, String> sqlByShape = new HashMap<>();
    private final Map<BitSet, String> stagedUpdateSql = new HashMap<>();

    /** Names temporary stage tables; one per plan, so a changed table shape never reuses an old stage. */
    private static final AtomicInteger STAGES = new AtomicInteger();

    /** Which columns an update sets and which old values identify the row; most rows share one shape. */
    record Shape(boolean delete, BitSet set, BitSet where) {}

    TablePlan(Relation relation, TargetTable target) {
        this.relation = relation;
        this.table = target.id().quoted();
        this.columns = new String[relation.columnCount()];
        this.types = new String[columns.length];
        this.allColumns = new int[columns.length];
        for (int i = 0; i < columns.length; i++) {
            allColumns[i] = i;
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
            types[i] = column.type();
            if (column.identityAlways()) {
                alwaysIdentity.set(i);
            }
        }
        this.key = keyColumns(relation, target);
        this.matchAllColumns = key.length == 0;
        this.conflatable = key.length > 0 && sameColumns(relation, key, target.primaryKey());
        this.stage = "pg_temp.sluice_stage_" + STAGES.incrementAndGet();
        BitSet everyColumn = new BitSet(columns.length);
        everyColumn.set(0, columns.length);
        everyColumn.andNot(alwaysIdentity);
        BitSet keyColumns = new BitSet(columns.length);
        for (int k : key) {
            keyColumns.set(k);
        }
        this.fullUpdate = new Shape(false, everyColumn, keyColumns);
        this.keyDelete = new Shape(true, new BitSet(), keyColumns);
        String columnList = String.join(", ", columns);
        this.copySql = "COPY " + table + " (" + columnList + ") FROM STDIN";
        this.insertSql = "INSERT INTO " + table + " (" + columnList + ")"
                + (alwaysIdentity.isEmpty() ? "" : " OVERRIDING SYSTEM VALUE") + " VALUES ("
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

    /** Whether the key the source sends is exactly the target's primary key, so it names one target row. */
    private static boolean sameColumns(Relation relation, int[] key, List<String> primaryKey) {
        if (key.length != primaryKey.size()) {
            return false;
        }
        for (int k : key) {
            if (!primaryKey.contains(relation.column(k).name())) {
                return false;
            }
        }
        return true;
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
        if (!matchAllColumns && !after.hasUnchangedToast()) {
            return fullUpdate;
        }
        BitSet set = new BitSet(columns.length);
        for (int i = 0; i < columns.length; i++) {
            if (!after.isUnchangedToast(i)) {
                set.set(i);
            }
        }
        set.andNot(alwaysIdentity);
        return new Shape(false, set, whereColumns(before));
    }

    Shape deleteShape(Tuple before) {
        if (!matchAllColumns) {
            return keyDelete;
        }
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
            // ctid is unique only within one physical table: with partitions or inheritance children,
            // tableoid tells which one.
            sql.append(" WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ")
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

    int[] allColumns() {
        return allColumns;
    }

    int[] keyColumns() {
        return key;
    }

    /**
     * Whether changes to this table may be folded per key ({@link ConflatedTable}): the source
     * identifies rows by exactly the target's primary key.
     */
    boolean conflatable() {
        return conflatable;
    }

    /** The row's key, as a map key: the value itself for a one-column key, a list otherwise. */
    Object key(Tuple row) {
        if (key.length == 1) {
            return row.get(key[0]);
        }
        String[] parts = new String[key.length];
        for (int i = 0; i < key.length; i++) {
            parts[i] = row.get(key[i]);
        }
        return Arrays.asList(parts);
    }

    /** A row image holding only the key values, at their columns' positions. */
    Tuple keyTuple(Object keyValue) {
        String[] values = new String[columns.length];
        if (key.length == 1) {
            values[key[0]] = (String) keyValue;
        } else {
            List<?> parts = (List<?>) keyValue;
            for (int i = 0; i < key.length; i++) {
                values[key[i]] = (String) parts.get(i);
            }
        }
        return Tuple.wrap(values);
    }

    /**
     * Creates this plan's stage table when missing and empties it. The stage has the target's
     * column types and no constraints, so {@code COPY} parses every value as the target would.
     */
    String prepareStageSql() {
        StringJoiner defs = new StringJoiner(", ");
        for (int i = 0; i < columns.length; i++) {
            defs.add(columns[i] + " " + types[i]);
        }
        return "CREATE TEMP TABLE IF NOT EXISTS " + stage.substring("pg_temp.".length()) + " (" + defs + ");"
                + " TRUNCATE " + stage;
    }

    String copyStageSql(int[] stageColumns) {
        StringJoiner names = new StringJoiner(", ");
        for (int c : stageColumns) {
            names.add(columns[c]);
        }
        return "COPY " + stage + " (" + names + ") FROM STDIN";
    }

    String dropStageSql() {
        return "DROP TABLE IF EXISTS " + stage;
    }

    String deleteStagedSql() {
        return "DELETE FROM " + table + " t USING " + stage + " s WHERE " + keyJoin();
    }

    /** The columns of {@code changed} an update may set: not the key, which joins, nor identity columns. */
    BitSet settable(BitSet changed) {
        BitSet set = (BitSet) changed.clone();
        for (int k : key) {
            set.clear(k);
        }
        set.andNot(alwaysIdentity);
        return set;
    }

    /** Whether a key column of the row holds the unchanged-TOAST marker (a key too long to store inline). */
    boolean keyUnsent(Tuple row) {
        for (int k : key) {
            if (row.isUnchangedToast(k)) {
                return true;
            }
        }
        return false;
    }

    /** The row with its key values taken from {@code identity}. */
    Tuple withKeyOf(Tuple row, Tuple identity) {
        Tuple result = row;
        for (int k : key) {
            result = result.with(k, identity.get(k));
        }
        return result;
    }

    /** Updates the given columns from the stage; the key columns join. */
    String updateStagedSql(BitSet set) {
        return stagedUpdateSql.computeIfAbsent(set, s -> {
            StringJoiner assignments = new StringJoiner(", ");
            for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
                assignments.add(columns[i] + " = s." + columns[i]);
            }
            return "UPDATE " + table + " t SET " + assignments + " FROM " + stage + " s WHERE " + keyJoin();
        });
    }

    private String keyJoin() {
        StringJoiner join = new StringJoiner(" AND ");
        for (int k : key) {
            join.add("t." + columns[k] + " = s." + columns[k]);
        }
        return join.toString();
    }
}
