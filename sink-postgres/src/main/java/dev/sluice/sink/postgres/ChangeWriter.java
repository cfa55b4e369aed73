package dev.sluice.sink.postgres;

import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.sink.postgres.UnitWriter.Planned;
import dev.sluice.sink.postgres.UnitWriter.Unit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Gathers the row changes of the open target transaction into units and hands each to the {@link
 * WriterThread}, which writes it ({@link UnitWriter}) while this, on the apply thread, gathers the
 * next: it decides how changes are written, not when to commit.
 *
 * <p>When triggers and foreign keys are off on the target, changes to tables keyed like the target
 * are folded per key ({@link ConflatedTable}) and written set-wise; everything else in exact
 * source order. A unit is bounded by rows and bytes, and the writer takes at most a few units
 * ahead, so a transaction of any size passes in bounded memory.
 */
final class ChangeWriter {

    /** Beyond this, buffered changes are written whatever their count, so huge values stay bounded in memory. */
    private static final long BATCH_MAX_BYTES = 16L << 20;

    private final WriterThread target;
    private final UnitWriter units;
    private final int batchRows;

    /**
     * Whether changes are folded per key and written set-wise: only when triggers and foreign keys
     * are off on the target, since set-wise writing does not keep the order between tables.
     */
    private final boolean conflate;

    /** By relation OID: one plan per source table, for the shape last announced. */
    private final Map<Integer, TablePlan> plans = new HashMap<>();

    /** The plan of the previous row: runs of rows of one table skip the map. */
    private TablePlan lastPlan;

    private Map<TablePlan, ConflatedTable> folded = new LinkedHashMap<>();

    /** Row changes of the unit being gathered, in source order. */
    private List<Planned> unit = new ArrayList<>();

    private long unitBytes;

    /** @param units writes on {@code target}'s thread only */
    ChangeWriter(WriterThread target, UnitWriter units, boolean conflate, int batchRows) {
        this.target = target;
        this.units = units;
        this.conflate = conflate;
        this.batchRows = batchRows;
    }

    /** Takes the next row change of the open transaction. */
    void add(RowChange change) {
        TablePlan plan = plan(change.relation());
        if (conflate && plan.conflatable()) {
            ConflatedTable table = folded.computeIfAbsent(plan, ConflatedTable::new);
            if (!table.add(change)) {
                // Rare shapes (a key change that keeps a TOASTed value unsent): write what is gathered,
                // then this change on its own, in order.
                flush();
                write(new Unit(List.of(new Planned(plan, change)), List.of(), false));
                return;
            }
        }
        unit.add(new Planned(plan, change));
        unitBytes += approximateBytes(change);
        if (unit.size() >= batchRows || unitBytes >= BATCH_MAX_BYTES) {
            flush();
        }
    }

    private static long approximateBytes(RowChange change) {
        return switch (change) {
            case Insert insert -> insert.after().approximateBytes();
            case Update update ->
                update.after().approximateBytes()
                        + (update.before() == null ? 0 : update.before().approximateBytes());
            case Delete delete -> delete.before().approximateBytes();
        };
    }

    /** Hands the gathered changes to the writer. */
    void flush() {
        if (unit.isEmpty()) {
            return;
        }
        // Nothing folded, nothing to write set-wise: no savepoint round trips for it.
        write(new Unit(unit, List.copyOf(folded.values()), !folded.isEmpty()));
        unit = new ArrayList<>();
        folded = new LinkedHashMap<>();
        unitBytes = 0;
    }

    private void write(Unit handed) {
        target.submit(conn -> units.write(handed));
    }

    /**
     * The plan for a relation's current shape. A relation announced anew (after a schema change, or
     * in a new session) gets a new plan from a fresh read of the target table; what is gathered under
     * the old shape is written first, so changes to one table never overtake each other.
     */
    private TablePlan plan(Relation relation) {
        if (lastPlan != null && lastPlan.relation() == relation) {
            return lastPlan;
        }
        lastPlan = planFor(relation);
        return lastPlan;
    }

    private TablePlan planFor(Relation relation) {
        TablePlan plan = plans.get(relation.oid());
        if (plan != null && plan.relation() == relation) {
            return plan;
        }
        if (plan != null) {
            flush();
            List<TablePlan> old = List.of(plan);
            target.submit(conn -> units.dropStages(old));
        }
        plan = target.call(conn -> new TablePlan(relation, TargetTable.load(conn, relation.table())));
        plans.put(relation.oid(), plan);
        return plan;
    }

    /**
     * Forgets every table's plan after a schema change on the target, so the next row of each table
     * reads its definition again. Call after {@link #flush()}.
     */
    void schemaChanged() {
        List<TablePlan> old = List.copyOf(plans.values());
        target.submit(conn -> units.dropStages(old));
        plans.clear();
        lastPlan = null;
    }

    /** Writes what is gathered, then the truncate. */
    void truncate(Truncate truncate) {
        flush();
        StringJoiner names = new StringJoiner(", ");
        for (Relation relation : truncate.relations()) {
            plan(relation);
            names.add(relation.table().quoted());
        }
        String tables = names.toString();
        target.submit(conn -> units.truncate(tables, truncate.restartIdentity()));
    }
}
