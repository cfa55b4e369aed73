package dev.sluice.sink.postgres;

import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Tuple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes units of row changes into the open target transaction, on the {@link WriterThread}.
 *
 * <p>A set-wise unit writes each folded table ({@link SetApplier}) under a savepoint, then the
 * changes of its other tables in source order; a unique conflict that only the set-wise order
 * causes (two rows trading a unique value) rolls back to the savepoint and replays the unit in
 * source order. Other units are written in source order through {@link RowBatch}.
 */
final class UnitWriter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(UnitWriter.class);

    /** Row changes handed over from the apply thread, which no longer touches them. */
    record Unit(List<Planned> changes, Collection<ConflatedTable> folded, boolean setWise) {}

    /** A row change with the plan of its table's shape when it arrived. */
    record Planned(TablePlan plan, RowChange change) {}

    private final Connection conn;
    private final PostgresSink.Stats stats;
    private final RowBatch batch;
    private final SetApplier setApplier;

    /** Whether a unit is being written, so that a failure can say what of it. */
    private boolean writing;

    /** The table being written set-wise, for error messages; null while writing in source order. */
    private TableId setWiseTable;

    UnitWriter(Connection conn, PostgresSink.Stats stats) {
        this.conn = conn;
        this.stats = stats;
        this.batch = new RowBatch(conn);
        this.setApplier = new SetApplier(conn);
    }

    void write(Unit unit) throws SQLException {
        writing = true;
        batch.forgetLastFlush();
        int missing = unit.setWise() ? setWise(unit) : inOrder(unit.changes());
        writing = false;
        stats.rowsApplied.addAndGet(unit.changes().size());
        if (missing > 0) {
            stats.missingRows.addAndGet(missing);
            log.warn(
                    "{} update(s) or delete(s) found no matching row on the target; the target had drifted from the"
                            + " source before this change",
                    missing);
        }
    }

    /** @return updates and deletes that found no row */
    private int setWise(Unit unit) throws SQLException {
        Savepoint savepoint = conn.setSavepoint();
        try {
            int missing = 0;
            for (ConflatedTable table : unit.folded()) {
                setWiseTable = table.plan().relation().table();
                missing += setApplier.apply(table);
            }
            setWiseTable = null;
            for (Planned planned : unit.changes()) {
                if (!planned.plan().conflatable()) {
                    missing += ordered(planned.plan(), planned.change());
                }
            }
            missing += batch.flush();
            conn.releaseSavepoint(savepoint);
            return missing;
        } catch (SQLException e) {
            if (!isOrderConflict(e)) {
                throw e;
            }
            log.debug(
                    "Set-wise apply met {}; replaying {} change(s) in source order",
                    e.getSQLState(),
                    unit.changes().size());
            conn.rollback(savepoint);
            setWiseTable = null;
            batch.clear();
            int missing = inOrder(unit.changes());
            conn.releaseSavepoint(savepoint);
            stats.orderedReplays.incrementAndGet();
            return missing;
        }
    }

    private static boolean isOrderConflict(SQLException e) {
        String state = e.getSQLState();
        return "23505".equals(state) || "23P01".equals(state);
    }

    private int inOrder(List<Planned> changes) throws SQLException {
        int missing = 0;
        for (Planned planned : changes) {
            missing += ordered(planned.plan(), planned.change());
        }
        return missing + batch.flush();
    }

    /** Adds a change to the run in progress, which keeps source order exactly; returns what earlier runs missed. */
    private int ordered(TablePlan plan, RowChange change) throws SQLException {
        return switch (change) {
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
        };
    }

    /**
     * Adds to the run, flushing the one before when the change does not fit it. A run needs no
     * bound of its own: it is part of a unit, which {@link ChangeWriter} bounds in rows and bytes.
     */
    private int append(TablePlan plan, RowBatch.Kind kind, TablePlan.Shape shape, Tuple value, Tuple identity)
            throws SQLException {
        int missing = batch.fits(plan, kind, shape) ? 0 : batch.flush();
        batch.add(plan, kind, shape, value, identity);
        return missing;
    }

    /** Empties the tables, never cascading. */
    void truncate(String tables, boolean restartIdentity) throws SQLException {
        try (Statement st = conn.createStatement()) {
            // Never CASCADE: the source already lists every published table the cascade reached, and
            // cascading here would also empty target-only or excluded tables. PostgreSQL's own
            // subscriber does not cascade either.
            st.execute("TRUNCATE " + tables + (restartIdentity ? " RESTART IDENTITY" : ""));
        }
    }

    /** Drops the plans' stage tables, whose columns may no longer match their tables. */
    void dropStages(Collection<TablePlan> plans) throws SQLException {
        try (Statement st = conn.createStatement()) {
            for (TablePlan plan : plans) {
                st.execute(plan.dropStageSql());
            }
        }
    }

    /**
     * Describes, without values, what of a unit was being written when a statement failed; empty
     * when the failed statement wrote no rows of a unit (a truncate, a schema change, a commit, a
     * savepoint).
     */
    Optional<String> describeFailedWrite() {
        if (!writing) {
            return Optional.empty();
        }
        return setWiseTable != null
                ? Optional.of("net changes to " + setWiseTable + " written set-wise")
                : batch.describeLastFlush();
    }

    @Override
    public void close() {
        batch.closeStatements();
    }
}
