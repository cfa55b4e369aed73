package dev.sluice.sink.postgres;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.core.spi.Sink;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies source transactions to a PostgreSQL target, each atomically and exactly once.
 *
 * <p>Small source transactions are grouped into one target transaction, bounded by rows and by
 * time; a large one streams through in batches inside a single target transaction, so memory holds
 * at most one batch whatever the transaction's size. Every target commit also writes the end
 * position of its last source transaction to {@code sluice.progress}; on start the sink reads it
 * back and skips every transaction at or before it, and reports a position to the {@link
 * Checkpoint} only after the target committed it.
 *
 * <p>Not thread-safe: one thread calls {@link #accept}. {@link #stats()} may be read from any
 * thread.
 */
public final class PostgresSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(PostgresSink.class);

    /** Beyond this, a batch is flushed whatever its row count, so huge values stay bounded in memory. */
    private static final long BATCH_MAX_BYTES = 16L << 20;

    private final PostgresSinkConfig config;
    private final Stats stats;
    /** By relation OID: one plan per source table, for the shape last announced. */
    private final Map<Integer, TablePlan> plans = new HashMap<>();

    /** The plan of the previous row: runs of rows of one table skip the map. */
    private TablePlan lastPlan;

    private final ProgressTable progress;
    private Connection conn;
    private RowBatch batch;
    private SetApplier setApplier;

    /**
     * Whether changes are folded per key and written set-wise: only when triggers and foreign keys
     * are off on the target, since set-wise writing does not keep the order between tables.
     */
    private boolean conflate;

    private final Map<TablePlan, ConflatedTable> conflated = new LinkedHashMap<>();

    /** Row changes not yet written, in source order, to replay one by one when set-wise writing conflicts. */
    private final List<RowChange> unit = new ArrayList<>();

    private long unitBytes;

    /** Updates and deletes of the unit being written that found no row, from runs flushed along the way. */
    private int unitMissing;

    private Checkpoint checkpoint;

    private Lsn appliedCommit = Lsn.INVALID;
    private Begin currentBegin;
    private boolean skipping;
    private boolean failed;
    private Commit pendingCommit;
    private int groupRows;
    private long groupStartNanos;

    public PostgresSink(PostgresSinkConfig config) {
        this(config, new Stats());
    }

    /** A sink that counts into {@code stats}, so totals can outlive one sink instance. */
    public PostgresSink(PostgresSinkConfig config, Stats stats) {
        this.config = config;
        this.stats = stats;
        this.progress = new ProgressTable(config.pipeline(), config.source());
    }

    /** Counters for metrics and status, safe to read from any thread. */
    public static final class Stats {
        public final AtomicLong rowsApplied = new AtomicLong();
        public final AtomicLong transactionsApplied = new AtomicLong();
        public final AtomicLong targetCommits = new AtomicLong();
        public final AtomicLong missingRows = new AtomicLong();
        /** Units written set-wise that met a unique conflict and were replayed in source order. */
        public final AtomicLong orderedReplays = new AtomicLong();

        public final AtomicLong lastAppliedEndLsn = new AtomicLong();
        /** Source commit time of the last applied transaction, epoch milliseconds; 0 before the first. */
        public final AtomicLong lastAppliedCommitMillis = new AtomicLong();
    }

    public Stats stats() {
        return stats;
    }

    /** What a target holds for a pipeline, as recorded with the data. */
    public record Applied(Lsn endLsn, Instant sourceCommitTime, Instant appliedAt) {}

    /** Reads a pipeline's position from a target, without changing anything; empty when it has none. */
    public static Optional<Applied> applied(PgUrl target, String pipeline) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-status"))) {
            if (!exists(conn)) {
                return Optional.empty();
            }
            try (PreparedStatement ps =
                    conn.prepareStatement("SELECT end_lsn::text, source_commit_time, applied_at FROM "
                            + ProgressTable.TABLE + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    Timestamp commit = rs.getTimestamp(2);
                    return Optional.of(new Applied(
                            Lsn.parse(rs.getString(1)),
                            commit == null ? null : commit.toInstant(),
                            rs.getTimestamp(3).toInstant()));
                }
            }
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    private static boolean exists(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + ProgressTable.TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    @Override
    public Lsn start(Checkpoint checkpoint) {
        this.checkpoint = checkpoint;
        try {
            Properties props = config.target().sessionProperties("sluice-sink");
            // Values are bound as text of unknown type, so the server parses each as its column's type.
            props.setProperty("stringtype", "unspecified");
            conn = DriverManager.getConnection(config.target().jdbcUrl(), props);
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", config.target(), e);
        }
        try {
            conn.setAutoCommit(false);
            conflate = disableTargetTriggers();
            ProgressTable.Position position = progress.prepare(conn);
            appliedCommit = position.commitLsn();
            stats.lastAppliedEndLsn.set(position.endLsn().value());
            batch = new RowBatch(conn);
            setApplier = new SetApplier(conn);
            log.info(
                    "Target {} ready; {}",
                    config.target(),
                    position.endLsn().isValid()
                            ? "resuming after source position " + position.endLsn()
                            : "no source transaction applied yet");
            return position.endLsn();
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        } catch (SQLException e) {
            closeQuietly();
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Cannot prepare the target " + config.target() + ": " + PgErrors.firstLine(e.getMessage())
                            + ". The target user needs CREATE on the database to keep Sluice's position in "
                            + ProgressTable.TABLE + ".",
                    e);
        }
    }

    private void closeQuietly() {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Already broken; nothing more to release.
        }
        conn = null;
    }

    /**
     * Like PostgreSQL's own subscriber, apply with user triggers and foreign-key checks off: the
     * source already enforced them, and their order within a group would not be the source's.
     */
    private boolean disableTargetTriggers() throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("SET session_replication_role = replica");
            conn.commit();
            return true;
        } catch (SQLException e) {
            conn.rollback();
            log.warn("Target user cannot SET session_replication_role (needs superuser, or on PostgreSQL 15+ GRANT SET"
                    + " ON PARAMETER session_replication_role): triggers and foreign keys on the target stay"
                    + " active while applying, and changes are written one by one in source order, which is"
                    + " slower.");
            return false;
        }
    }

    @Override
    public void accept(ChangeEvent event) {
        try {
            switch (event) {
                case Begin begin -> begin(begin);
                case RowChange change -> {
                    if (!skipping) {
                        row(change);
                    }
                }
                case Truncate truncate -> {
                    if (!skipping) {
                        truncate(truncate);
                    }
                }
                case Message message -> {
                    // Logical messages carry DDL; applying them belongs to DDL capture.
                }
                case Commit commit -> commit(commit);
            }
        } catch (SQLException e) {
            failed = true;
            throw applyFailure(e);
        } catch (RuntimeException | Error e) {
            // Whatever was half written must never be committed by close().
            failed = true;
            throw e;
        }
    }

    private void begin(Begin begin) throws SQLException {
        if (pendingCommit != null && groupDue()) {
            commitGroup();
        }
        currentBegin = begin;
        skipping = appliedCommit.isValid() && begin.commitLsn().compareTo(appliedCommit) <= 0;
        if (skipping) {
            log.debug(
                    "Skipping source transaction {} (commit {}): already on the target",
                    begin.xid(),
                    begin.commitLsn());
        }
        if (groupStartNanos == 0) {
            groupStartNanos = System.nanoTime();
        }
    }

    private void row(RowChange change) throws SQLException {
        TablePlan plan = plan(change.relation());
        groupRows++;
        if (!conflate) {
            ordered(plan, change);
            return;
        }
        if (plan.conflatable()) {
            ConflatedTable table = conflated.computeIfAbsent(plan, ConflatedTable::new);
            if (!table.add(change)) {
                // Rare shapes (a key change that keeps a TOASTed value unsent): write what is buffered,
                // then this change on its own, in order.
                flushUnit();
                ordered(plan, change);
                flushBatch(true);
                return;
            }
        }
        unit.add(change);
        unitBytes += approximateBytes(change);
        if (unit.size() >= config.batchRows() || unitBytes >= BATCH_MAX_BYTES) {
            flushUnit();
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
            case Insert insert -> add(plan, RowBatch.Kind.INSERT, null, insert.after(), null);
            case Update update ->
                add(
                        plan,
                        RowBatch.Kind.UPDATE,
                        plan.updateShape(update.before(), update.after()),
                        update.after(),
                        plan.identity(update.before(), update.after()));
            case Delete delete ->
                add(
                        plan,
                        RowBatch.Kind.DELETE,
                        plan.deleteShape(delete.before()),
                        null,
                        plan.identity(delete.before(), null));
        }
    }

    private void add(TablePlan plan, RowBatch.Kind kind, TablePlan.Shape shape, Tuple value, Tuple identity)
            throws SQLException {
        if (!batch.fits(plan, kind, shape)) {
            unitMissing += flushBatch(!conflate);
        }
        batch.add(plan, kind, shape, value, identity);
        if (batch.size() >= config.batchRows() || batch.bytes() >= BATCH_MAX_BYTES) {
            unitMissing += flushBatch(!conflate);
        }
    }

    /**
     * Writes the buffered changes: tables with a primary key set-wise from their net changes, the
     * others in source order. A unique or exclusion conflict that only the set-wise order causes (two
     * rows trading a unique value) rolls back to a savepoint and replays the changes in source order.
     */
    private void flushUnit() throws SQLException {
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
            flushUnit();
            conflated.remove(plan);
            try (Statement st = conn.createStatement()) {
                st.execute(plan.dropStageSql());
            }
        }
        plan = new TablePlan(relation, TargetTable.load(conn, relation.table()));
        plans.put(relation.oid(), plan);
        return plan;
    }

    private void truncate(Truncate truncate) throws SQLException {
        flushUnit();
        StringJoiner names = new StringJoiner(", ");
        for (Relation relation : truncate.relations()) {
            plan(relation);
            names.add(relation.table().quoted());
        }
        try (Statement st = conn.createStatement()) {
            // Never CASCADE: the source already lists every published table the cascade reached, and
            // cascading here would also empty target-only or excluded tables, as the native subscriber
            // also refuses to.
            st.execute("TRUNCATE " + names + (truncate.restartIdentity() ? " RESTART IDENTITY" : ""));
        }
    }

    private void commit(Commit commit) throws SQLException {
        if (skipping) {
            skipping = false;
            currentBegin = null;
            return;
        }
        currentBegin = null;
        pendingCommit = commit;
        stats.transactionsApplied.incrementAndGet();
        if (groupRows >= config.groupMaxRows() || groupDue()) {
            commitGroup();
        }
    }

    private boolean groupDue() {
        return System.nanoTime() - groupStartNanos >= config.groupMaxDelay().toNanos();
    }

    private void commitGroup() throws SQLException {
        flushUnit();
        Commit last = pendingCommit;
        progress.record(last.commitLsn(), last.endLsn(), last.commitTime());
        conn.commit();
        stats.targetCommits.incrementAndGet();
        stats.lastAppliedEndLsn.set(last.endLsn().value());
        if (last.commitTime() != null) {
            stats.lastAppliedCommitMillis.set(last.commitTime().toEpochMilli());
        }
        appliedCommit = last.commitLsn();
        pendingCommit = null;
        groupRows = 0;
        groupStartNanos = 0;
        checkpoint.durable(last.endLsn());
    }

    @Override
    public void idle() {
        if (pendingCommit != null && currentBegin == null && !failed && groupDue()) {
            try {
                commitGroup();
            } catch (SQLException e) {
                failed = true;
                throw applyFailure(e);
            } catch (RuntimeException | Error e) {
                failed = true;
                throw e;
            }
        }
    }

    private SluiceException applyFailure(SQLException e) {
        String where = currentBegin == null
                ? "committing to the target"
                : "applying source transaction " + currentBegin.xid() + " (commit " + currentBegin.commitLsn() + "), "
                        + batch.describeLastFlush();
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P") || state.equals("40P01") || state.equals("40001")) {
            return new SluiceException(
                    Reason.TARGET_UNREACHABLE,
                    "Lost the target transaction on " + config.target() + " while " + where + ": "
                            + PgErrors.firstLine(e.getMessage()) + " (SQLSTATE " + state
                            + "). Nothing partial was kept; Sluice resumes from the last committed position.",
                    e);
        }
        // Data exceptions quote the rejected value in their first line; values may be personal data.
        String reason = state.startsWith("22")
                ? "a value was rejected by its column's type or a constraint on it"
                : PgErrors.firstLine(e.getMessage());
        return new SluiceException(
                Reason.APPLY,
                "Target " + config.target() + " rejected a change while " + where + ": " + reason + " (SQLSTATE "
                        + state
                        + "). The transaction was rolled back; fix the target and restart to resume from there.",
                e);
    }

    /**
     * Commits the complete source transactions still grouped when the stream stopped between
     * transactions, and rolls back a transaction in flight, which the source sends again next time.
     */
    @Override
    public void close() {
        if (conn == null) {
            return;
        }
        try {
            if (!failed && currentBegin == null && pendingCommit != null) {
                commitGroup();
            } else {
                conn.rollback();
            }
        } catch (SQLException e) {
            log.warn("Could not finish the last target transaction: {}", PgErrors.firstLine(e.getMessage()));
        } finally {
            if (batch != null) {
                batch.closeStatements();
            }
            try {
                conn.close();
            } catch (SQLException ignored) {
                // Closing a broken connection; the server rolls back whatever was open.
            }
            conn = null;
        }
    }
}
