package dev.sluice.sink.postgres;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.Threads;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.Relation;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.core.spi.Sink;
import dev.sluice.ddl.DdlApplier;
import dev.sluice.ddl.Renames;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies source transactions to a PostgreSQL target, each atomically and exactly once.
 *
 * <p>Small source transactions are grouped into one target transaction, bounded by rows and by
 * time; a large one streams through in batches inside a single target transaction, so memory holds
 * at most a few batches whatever the transaction's size (one gathered, {@value
 * WriterThread#AHEAD} queued, one being written). Every target commit also writes the end
 * position of its last source transaction to {@code sluice.progress}; on start the sink reads it
 * back and skips every transaction at or before it, and reports a position to the {@link
 * Checkpoint} only after the target committed it.
 *
 * <p>Writing is pipelined: a thread of the sink's own ({@link WriterThread}) writes and commits
 * on the target while the caller's thread folds the next changes. A failure there surfaces from
 * the caller's next call; nothing submitted after it reaches the target.
 *
 * <p>Not thread-safe: calls to {@link #start}, {@link #accept}, {@link #idle} and {@link #close}
 * must not overlap and must be ordered (one thread, or threads handing over with a join), and the
 * {@link Checkpoint} is only ever called from within these calls, on the calling thread. {@link
 * #stats()} may be read from any thread.
 */
public final class PostgresSink implements Sink {

    private static final Logger log = LoggerFactory.getLogger(PostgresSink.class);

    /**
     * The staged {@code UPDATE ... FROM} and {@code DELETE ... USING} join a stage of at most a
     * group's rows to the target table on its primary key. The stage is never analyzed, and the
     * default cost model, which prices every index lookup as a random read, often plans a hash or
     * merge join that reads the whole target table for each statement: a cost that grows with the
     * table instead of with the change. An 810-row stage against 120,000 orders took 22 ms by hash
     * join and 11 ms by index lookups. With these two joins off, the planner looks every staged row
     * up by the key's index. Only set when writing set-wise: in source order there are no stages,
     * and the target's triggers, which then fire, keep the target's own settings.
     */
    private static final String JOIN_STAGES_BY_KEY = "SET enable_hashjoin = off; SET enable_mergejoin = off";

    /** Schema changes run with the target's own planner settings (a {@code REFRESH MATERIALIZED VIEW} may want a hash join). */
    private static final String JOIN_AS_CONFIGURED = "RESET enable_hashjoin; RESET enable_mergejoin";

    private final PostgresSinkConfig config;
    private final Stats stats;
    private final ProgressTable progress;
    private Connection conn;
    private WriterThread target;
    private UnitWriter units;
    private ChangeWriter writer;

    private Checkpoint checkpoint;
    /** End of the last source transaction the writer committed; set on its thread. */
    private final AtomicReference<Lsn> committedEnd = new AtomicReference<>(Lsn.INVALID);
    /** What the checkpoint was last told. */
    private Lsn reportedEnd = Lsn.INVALID;

    private Lsn appliedCommit = Lsn.INVALID;
    private Begin currentBegin;
    private boolean skipping;
    /** Whether the current transaction committed before some re-copied table's copy. */
    private boolean beforeSomeCopy;
    /** Whether the current transaction changed the target's schema. */
    private boolean schemaChanged;
    /**
     * Whether changes are folded per key and written set-wise through stages (the target's triggers
     * are off), and the session plans the stages' joins by key.
     */
    private boolean conflate;

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

    /**
     * Records that the target holds the source as of {@code position} (a snapshot's consistent
     * point): streaming resumes there, and a restart never copies again.
     */
    public static void recordSnapshot(PgUrl target, String pipeline, String source, Lsn position) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-snapshot"))) {
            conn.setAutoCommit(false);
            ProgressTable progress = new ProgressTable(pipeline, source);
            progress.prepare(conn);
            progress.record(Lsn.INVALID, position, null);
            conn.commit();
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    /** Tables on the target outside Sluice's and the system's schemas, to refuse copying over them. */
    public static List<TableId> userTables(PgUrl target) {
        try (Connection conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-check"));
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p')"
                        + " AND NOT c.relispartition AND n.nspname NOT IN ('sluice', 'pg_catalog', 'information_schema')"
                        + " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1, 2")) {
            List<TableId> tables = new ArrayList<>();
            while (rs.next()) {
                tables.add(new TableId(rs.getString(1), rs.getString(2)));
            }
            return tables;
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
            if (conflate) {
                execute(conn, JOIN_STAGES_BY_KEY);
                conn.commit();
            }
            Renames.prepare(conn);
            ProgressTable.Position position = progress.prepare(conn);
            appliedCommit = position.commitLsn();
            stats.lastAppliedEndLsn.set(position.endLsn().value());
            committedEnd.set(position.endLsn());
            reportedEnd = position.endLsn();
            units = new UnitWriter(conn, stats);
            target = new WriterThread(conn, config.pipeline(), this::applyFailure);
            writer = new ChangeWriter(target, units, conflate, config.batchRows());
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

    private static void execute(Connection conn, String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    private void closeQuietly() {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Already broken; the server rolls back whatever was open.
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
        guarded(() -> {
            switch (event) {
                case Begin begin -> begin(begin);
                case RowChange change -> {
                    if (!skipping && !inCopy(change.relation())) {
                        row(change);
                    }
                }
                case Truncate truncate -> {
                    if (!skipping) {
                        truncate(truncate);
                    }
                }
                case SchemaChange change -> {
                    if (!skipping) {
                        schemaChange(change);
                    }
                }
                case Message message -> {
                    // Other logical messages are not Sluice's to apply.
                }
                case Commit commit -> commit(commit);
            }
        });
    }

    /** Runs work on the open target transaction; any failure marks it so that close() never commits it. */
    private void guarded(Runnable work) {
        try {
            work.run();
        } catch (RuntimeException | Error e) {
            failed = true;
            throw e;
        }
    }

    private void begin(Begin begin) {
        reportDurable();
        if (pendingCommit != null && groupDue()) {
            commitGroup();
        }
        currentBegin = begin;
        target.at(begin);
        skipping = appliedCommit.isValid() && begin.commitLsn().compareTo(appliedCommit) <= 0;
        beforeSomeCopy = config.copiedLater().values().stream()
                .anyMatch(copiedAt -> begin.commitLsn().compareTo(copiedAt) < 0);
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

    /**
     * Whether the table's copy, taken by a resumed snapshot after streaming's start, already holds
     * the current transaction: it committed before the copy's position. PostgreSQL's own
     * table-synchronisation applies the same rule.
     */
    private boolean inCopy(Relation relation) {
        if (!beforeSomeCopy) {
            return false;
        }
        Lsn copiedAt = config.copiedLater().get(relation.table());
        return copiedAt != null && currentBegin.commitLsn().compareTo(copiedAt) < 0;
    }

    private void truncate(Truncate truncate) {
        List<Relation> relations =
                truncate.relations().stream().filter(r -> !inCopy(r)).toList();
        if (!relations.isEmpty()) {
            writer.truncate(new Truncate(relations, truncate.cascade(), truncate.restartIdentity()));
        }
    }

    /**
     * Replays a schema change between the rows written before it and those after it, in the target
     * transaction that holds its source transaction. The group then ends with that transaction: a
     * change such as {@code ALTER TYPE ... ADD VALUE} is only usable once committed.
     */
    private void schemaChange(SchemaChange change) {
        if (config.ddlSkipThrough().isValid() && change.lsn().compareTo(config.ddlSkipThrough()) <= 0) {
            log.info(
                    "Not replaying {} at source position {}: at or before ddl.skip_through {}",
                    change.command().tag(),
                    change.lsn(),
                    config.ddlSkipThrough());
            return;
        }
        writer.flush();
        Begin in = currentBegin;
        target.submit(conn -> replay(conn, change, in));
        writer.schemaChanged();
        schemaChanged = true;
    }

    /** Runs on the writer thread. */
    private void replay(Connection conn, SchemaChange change, Begin in) throws SQLException {
        if (conflate) {
            // A failed change rolls the transaction back, and with it this RESET.
            execute(conn, JOIN_AS_CONFIGURED);
        }
        try {
            DdlApplier.apply(conn, change);
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (lostTransaction(state)) {
                throw e;
            }
            throw new SluiceException(
                    Reason.APPLY,
                    "Target " + config.target() + " rejected the schema change "
                            + change.command().tag() + " on "
                            + DdlApplier.describe(change.command().objects()) + " (source transaction "
                            + in.xid() + ", position " + change.lsn() + "): "
                            + PgErrors.firstLine(e.getMessage()) + " (SQLSTATE " + state + "). The transaction was"
                            + " rolled back. Bring the target to the source's shape by hand, then set"
                            + " ddl.skip_through: '" + change.lsn() + "' and restart.",
                    e);
        }
        if (conflate) {
            execute(conn, JOIN_STAGES_BY_KEY);
        }
        if (change.command().rename().isPresent()) {
            Renames.record(conn, config.pipeline(), change.command().rename().get(), change.lsn());
        }
    }

    private void row(RowChange change) {
        writer.add(change);
        groupRows++;
    }

    private void commit(Commit commit) {
        // The writer keeps naming this transaction in errors: its last rows may be written with the group's commit.
        currentBegin = null;
        if (skipping) {
            skipping = false;
            return;
        }
        pendingCommit = commit;
        stats.transactionsApplied.incrementAndGet();
        if (schemaChanged || groupRows >= config.groupMaxRows() || groupDue()) {
            schemaChanged = false;
            commitGroup();
        }
    }

    private boolean groupDue() {
        return System.nanoTime() - groupStartNanos >= config.groupMaxDelay().toNanos();
    }

    /** Hands the group's last changes and its commit to the writer, which records the position with them. */
    private void commitGroup() {
        writer.flush();
        Commit last = pendingCommit;
        target.at(null);
        target.submit(conn -> {
            progress.record(last.commitLsn(), last.endLsn(), last.commitTime());
            conn.commit();
            stats.targetCommits.incrementAndGet();
            stats.lastAppliedEndLsn.set(last.endLsn().value());
            committedEnd.set(last.endLsn());
        });
        appliedCommit = last.commitLsn();
        pendingCommit = null;
        groupRows = 0;
        groupStartNanos = 0;
    }

    /** Tells the checkpoint what the writer has committed since it was last told, on the caller's thread. */
    private void reportDurable() {
        Lsn end = committedEnd.get();
        if (!end.equals(reportedEnd)) {
            reportedEnd = end;
            checkpoint.durable(end);
        }
    }

    @Override
    public void idle() {
        guarded(() -> {
            target.rethrow();
            reportDurable();
            if (pendingCommit != null && currentBegin == null && !failed && groupDue()) {
                commitGroup();
            }
        });
    }

    /**
     * Whether a failure lost the target transaction for reasons of the connection or concurrency
     * (connection gone, server shutting down, deadlock, serialization): worth a retry, unlike a
     * rejected change.
     */
    private static boolean lostTransaction(String state) {
        return state.startsWith("08") || state.startsWith("57P") || state.equals("40P01") || state.equals("40001");
    }

    /** Runs on the writer thread, which is where the run being written is known. */
    private SluiceException applyFailure(SQLException e, Begin in) {
        String where = in == null
                ? "committing to the target"
                : "applying the changes of source transactions up to " + in.xid() + " (commit " + in.commitLsn() + ")"
                        + units.describeFailedWrite().map(what -> ", " + what).orElse("");
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (lostTransaction(state)) {
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
     * Throws a failure of the target that no earlier call reported: a caller that goes on (a Kafka
     * partition reopening its sink at a barrier) must not move past changes that never arrived.
     */
    @Override
    public void close() {
        if (conn == null) {
            return;
        }
        // A pending interrupt must not cost the grouped transactions their commit; it is restored below.
        boolean interrupted = Thread.interrupted();
        Throwable failure = null;
        try {
            if (!failed && currentBegin == null && pendingCommit != null) {
                commitGroup();
            }
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        try {
            Throwable writerFailure = target.finish();
            failure = writerFailure != null ? writerFailure : failure;
            reportDurable();
            // Whatever the writer left open: a transaction in flight, or one it failed in. A connection
            // the target dropped has nothing open left to roll back; the writer's failure says why.
            if (!conn.isClosed()) {
                conn.rollback();
            }
        } catch (SQLException e) {
            log.warn("Could not roll back the last target transaction: {}", PgErrors.firstLine(e.getMessage()));
        } finally {
            units.close();
            closeQuietly();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (failure != null && !failed) {
            failed = true;
            Threads.rethrow(failure);
        }
    }
}
