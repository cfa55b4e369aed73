package dev.sluice.sink.postgres;

import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes row changes into the target transaction that {@link PostgresSink} holds open: it decides
 * how, not when to commit.
 *
 * <p>When triggers and foreign keys are off on the target, changes to tables keyed like the target
 * are buffered as a unit, folded per key ({@link ConflatedTable}) and written set-wise ({@link
 * SetApplier}) under a savepoint; a unique conflict that only the set-wise order causes replays the
 * unit in source order. Everything else goes through {@link RowBatch} in exact source order.
 * Buffered changes are bounded by rows and bytes, so a transaction of any size passes in bounded
 * memory.
 */
final class ChangeWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeWriter.class);

    /** Beyond this, buffered changes are written whatever their count, so huge values stay bounded in memory. */
    private static final long BATCH_MAX_BYTES = 16L << 20;

    private final Connection conn;
    private final PostgresSink.Stats stats;
    private final int batchRows;
    private final RowBatch batch;
    private final SetApplier setApplier;

    /**
     * Whether changes are folded per key and written set-wise: only when triggers and foreign keys
     * are off on the target, since set-wise writing does not keep the order between tables.
     */
    private final boolean conflate;

    /** By relation OID: one plan per source table, for the shape last announced. */
    private final Map<Integer, TablePlan> plans = new HashMap<>();

    /** The plan of the previous row: runs of rows of one table skip the map. */
    private TablePlan lastPlan;

    private final Map<TablePlan, ConflatedTable> conflated = new LinkedHashMap<>();

    /** Row changes not yet written, in source order, to replay one by one when set-wise writing conflicts. */
    private final List<RowChange> unit = new ArrayList<>();

    private long unitBytes;

    /** Updates and deletes of the unit being written that found no row, from runs flushed along the way. */
    private int unitMissing;

    ChangeWriter(Connection conn, boolean conflate, int batchRows, PostgresSink.Stats stats) {
        this.conn = conn;
        this.conflate = conflate;
        this.batchRows = batchRows;
        this.stats = stats;
        this.batch = new RowBatch(conn);
        this.setApplier = new SetApplier(conn);
    }

    /** Takes the next row change of the open transaction. */
    void add(RowChange change) throws SQLException {
        TablePlan plan = plan(change.relation());
        if (!conflate) {
            ordered(plan, change);
            return;
        }
        if (plan.conflatable()) {
            ConflatedTable table = conflated.computeIfAbsent(plan, ConflatedTable::new);
            if (!table.add(change)) {
                // Rare shapes (a key change that keeps a TOASTed value unsent): write what is buffered,
                // then this change on its own, in order.
                flush();
                ordered(plan, change);
                flushBatch(true);
                return;
            }
        }
        unit.add(change);
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

    /** Adds a change to the run-based writer, which keeps source order exactly. */
    private void ordered(TablePlan plan, RowChange change) throws SQLException {
        switch (change) {
            case Insert insert -> append(plan, RowBatch.Kind.INSERT, null, insert.after(), null);
            case Update update ->
                append(
                        plan,
                        RowBatch.Kind.UPDATE,
                        plan.updateShape(update.before(), update.after()),
                        update.after(),
                        plan.identity(update.before(), update.after()));
            case Delete delete ->
                append(
                        plan,
                        RowBatch.Kind.DELETE,
                        plan.deleteShape(delete.before()),
                        null,
                        plan.identity(delete.before(), null));
        }
    }

    private void append(TablePlan plan, RowBatch.Kind kind, TablePlan.Shape shape, Tuple value, Tuple identity)
            throws SQLException {
        if (!batch.fits(plan, kind, shape)) {
            unitMissing += flushBatch(!conflate);
        }
        batch.add(plan, kind, shape, value, identity);
        if (batch.size() >= batchRows || batch.bytes() >= BATCH_MAX_BYTES) {
            unitMissing += flushBatch(!conflate);
        }
    }

    /**
     * Writes the buffered changes: tables with a primary key set-wise from their net changes, the
     * others in source order. A unique or exclusion conflict that only the set-wise order causes (two
     * rows trading a unique value) rolls back to a savepoint and replays the changes in source order.
     */
    void flush() throws SQLException {
        if (!conflate || unit.isEmpty()) {
            flushBatch(true);
            return;
        }
        int rows = unit.size();
        Savepoint savepoint = conn.setSavepoint();
        unitMissing = 0;
        try {
            int missing = 0;
            for (ConflatedTable table : conflated.values()) {
                missing += setApplier.apply(table);
            }
            for (RowChange change : unit) {
                TablePlan plan = plan(change.relation());
                if (!plan.conflatable()) {
                    ordered(plan, change);
                }
            }
            missing += flushBatch(false);
            conn.releaseSavepoint(savepoint);
            countMissing(missing + unitMissing);
        } catch (SQLException e) {
            if (!isOrderConflict(e)) {
                throw e;
            }
            log.debug("Set-wise apply met {}; replaying {} change(s) in source order", e.getSQLState(), rows);
            conn.rollback(savepoint);
            conflated.values().forEach(ConflatedTable::clear);
            batch.clear();
            unitMissing = 0;
            for (RowChange change : unit) {
                ordered(plan(change.relation()), change);
            }
            countMissing(flushBatch(false) + unitMissing);
            conn.releaseSavepoint(savepoint);
            stats.orderedReplays.incrementAndGet();
        } finally {
            unit.clear();
            unitBytes = 0;
        }
        stats.rowsApplied.addAndGet(rows);
    }

    private static boolean isOrderConflict(SQLException e) {
        String state = e.getSQLState();
        return "23505".equals(state) || "23P01".equals(state);
    }

    /**
     * Writes the run in progress.
     *
     * @param count whether these rows count as applied here (not when part of a set-wise unit)
     * @return updates and deletes that found no row
     */
    private int flushBatch(boolean count) throws SQLException {
        int rows = batch.size();
        int missing = batch.flush();
        if (count) {
            stats.rowsApplied.addAndGet(rows);
            countMissing(missing);
        }
        return missing;
    }

    private void countMissing(int missing) {
        if (missing > 0) {
            stats.missingRows.addAndGet(missing);
            log.warn(
                    "{} update(s) or delete(s) found no matching row on the target; the target had drifted from the"
                            + " source before this change",
                    missing);
        }
    }

    /**
     * The plan for a relation's current shape. A relation announced anew (after a schema change, or
     * in a new session) gets a new plan from a fresh read of the target table; what is buffered under
     * the old shape is written first, so changes to one table never overtake each other.
     */
    private TablePlan plan(Relation relation) throws SQLException {
        if (lastPlan != null && lastPlan.relation() == relation) {
            return lastPlan;
        }
        lastPlan = planFor(relation);
        return lastPlan;
    }

    private TablePlan planFor(Relation relation) throws SQLException {
        TablePlan plan = plans.get(relation.oid());
        if (plan != null && plan.relation() == relation) {
            return plan;
        }
        if (plan != null) {
            flush();
            conflated.remove(plan);
            try (Statement st = conn.createStatement()) {
                st.execute(plan.dropStageSql());
            }
        }
        plan = new TablePlan(relation, TargetTable.load(conn, relation.table()));
        plans.put(relation.oid(), plan);
        return plan;
    }

    /**
     * Forgets every table's plan after a schema change on the target, so the next row of each table
     * reads its definition again. Call after {@link #flush()}.
     */
    void schemaChanged() throws SQLException {
        try (Statement st = conn.createStatement()) {
            for (TablePlan plan : plans.values()) {
                st.execute(plan.dropStageSql());
            }
        }
        plans.clear();
        conflated.clear();
        lastPlan = null;
    }

    /** Writes what is buffered, then the truncate. */
    void truncate(Truncate truncate) throws SQLException {
        flush();
        StringJoiner names = new StringJoiner(", ");
        for (Relation relation : truncate.relations()) {
            plan(relation);
            names.add(relation.table().quoted());
        }
        try (Statement st = conn.createStatement()) {
            // Never CASCADE: the source already lists every published table the cascade reached, and
            // cascading here would also empty target-only or excluded tables. PostgreSQL's own
            // subscriber does not cascade either.
            st.execute("TRUNCATE " + names + (truncate.restartIdentity() ? " RESTART IDENTITY" : ""));
        }
    }

    /** Describes the run last written, for error messages, without values. */
    String describeLastFlush() {
        return batch.describeLastFlush();
    }

    @Override
    public void close() {
        batch.closeStatements();
    }
}
