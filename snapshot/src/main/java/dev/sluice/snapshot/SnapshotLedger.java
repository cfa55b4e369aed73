package dev.sluice.snapshot;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The target's record of a pipeline's snapshot, in {@code sluice.snapshot}: one row per finished
 * step (the schema's pre-data, each table, each post-data object), each written in the same target
 * transaction as the step's own work. An interrupted snapshot therefore resumes exactly where it
 * stopped: a step is on the target if and only if its row is.
 *
 * <p>A table copied by a resumed run is as of a later source position than the slot's start; its
 * row keeps that position, so that streaming skips the table's changes the copy already holds.
 */
public final class SnapshotLedger {

    public static final String TABLE = "sluice.snapshot";

    /** The step that records the snapshot's start: the slot's consistent point, or none for a one-off copy. */
    private static final String START = "start";

    private static final String PRE_DATA = "schema pre-data";
    private static final String TABLE_PREFIX = "table ";
    private static final String POST_DATA_PREFIX = "post-data ";
    /** Not a step: the plan's table count (rows) and estimated bytes, for status. */
    private static final String PLAN = "plan";
    /** Not a step: the number of post-data objects (rows), for status. */
    private static final String POST_DATA_PLAN = "plan post-data";
    /** The whole snapshot is on the target. */
    private static final String DONE = "done";

    /** A finished step and the source position its content is as of. */
    public record Step(String item, Lsn position, long rows, long bytes) {}

    /**
     * What the ledger tells of a snapshot, for {@code status}.
     *
     * @param position where the snapshot began; {@link Lsn#INVALID} for a one-off copy
     * @param tablesPlanned tables in the snapshot, -1 when no plan was recorded
     * @param bytesPlanned the plan's estimated bytes, -1 when no plan was recorded
     * @param postDataPlanned post-data objects, -1 when not recorded
     * @param lastStepAt when the latest step finished
     * @param finishedAt when the snapshot was recorded complete, {@code null} before
     */
    public record Summary(
            Lsn position,
            Instant startedAt,
            boolean preDataDone,
            int tablesCopied,
            int tablesPlanned,
            long rowsCopied,
            long bytesCopied,
            long bytesPlanned,
            int postDataDone,
            int postDataPlanned,
            Instant lastStepAt,
            Instant finishedAt) {

        public boolean finished() {
            return finishedAt != null;
        }
    }

    private final PgUrl target;
    private final String pipeline;

    private SnapshotLedger(PgUrl target, String pipeline) {
        this.target = target;
        this.pipeline = pipeline;
    }

    /** Opens the ledger of a pipeline on a target, creating Sluice's table there when missing. */
    public static SnapshotLedger open(PgUrl target, String pipeline) {
        SnapshotLedger ledger = new SnapshotLedger(target, pipeline);
        ledger.inTransaction(conn -> {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
                st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text NOT NULL, item text NOT NULL,"
                        + " position pg_lsn, rows bigint NOT NULL DEFAULT 0, bytes bigint NOT NULL DEFAULT 0,"
                        + " done_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (pipeline, item))");
            }
        });
        return ledger;
    }

    /**
     * Starts a new snapshot, forgetting any earlier one of this pipeline.
     *
     * @param position the slot's consistent point, or {@link Lsn#INVALID} for a copy no stream follows
     */
    public void start(Lsn position) {
        inTransaction(conn -> {
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM " + TABLE + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                ps.executeUpdate();
            }
            insert(conn, START, position, 0, 0);
        });
    }

    /** Where the snapshot began: empty when none was begun, {@link Lsn#INVALID} for a one-off copy. */
    public Optional<Lsn> started() {
        return steps().stream()
                .filter(s -> s.item().equals(START))
                .map(Step::position)
                .findFirst();
    }

    /** Every finished step, in the order they finished. */
    public List<Step> steps() {
        List<Step> steps = new ArrayList<>();
        inTransaction(conn -> {
            try (PreparedStatement ps = conn.prepareStatement("SELECT item, position::text, rows, bytes FROM " + TABLE
                    + " WHERE pipeline = ? ORDER BY done_at, item")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String position = rs.getString(2);
                        steps.add(new Step(
                                rs.getString(1),
                                position == null ? Lsn.INVALID : Lsn.parse(position),
                                rs.getLong(3),
                                rs.getLong(4)));
                    }
                }
            }
        });
        return steps;
    }

    public boolean preDataDone() {
        return has(PRE_DATA);
    }

    /** Records, inside the caller's open transaction, that the pre-data section is on the target. */
    public void recordPreData(Connection conn, Lsn position) throws SQLException {
        insert(conn, PRE_DATA, position, 0, 0);
    }

    /** The tables already on the target, each with its step: the source position it is as of, rows and bytes. */
    public Map<TableId, Step> copiedTables() {
        Map<TableId, Step> tables = new LinkedHashMap<>();
        for (Step step : steps()) {
            if (step.item().startsWith(TABLE_PREFIX)) {
                tables.put(TableId.parseQuoted(step.item().substring(TABLE_PREFIX.length())), step);
            }
        }
        return tables;
    }

    /** Records, inside the caller's open transaction, that a table's rows are on the target. */
    public void recordTable(Connection conn, TableId table, Lsn position, long rows, long bytes) throws SQLException {
        insert(conn, TABLE_PREFIX + table.quoted(), position, rows, bytes);
    }

    /** The keys of every post-data object on the target, read at once for a run that may have thousands. */
    public Set<String> finishedPostData() {
        Set<String> keys = new HashSet<>();
        for (Step step : steps()) {
            if (step.item().startsWith(POST_DATA_PREFIX)) {
                keys.add(step.item().substring(POST_DATA_PREFIX.length()));
            }
        }
        return keys;
    }

    /** Records, inside the caller's open transaction, that a post-data object is on the target. */
    public void recordPostData(Connection conn, String key) throws SQLException {
        insert(conn, POST_DATA_PREFIX + key, null, 0, 0);
    }

    /**
     * Records what the snapshot is to copy, for {@code status}: every table in it (those a resumed
     * run already holds included) and their estimated bytes. Commits on its own; may be called again.
     */
    public void recordPlan(int tables, long estimatedBytes) {
        inTransaction(conn -> insert(conn, PLAN, null, tables, estimatedBytes));
    }

    /** Records how many post-data objects the snapshot creates, for {@code status}. Commits on its own. */
    public void recordPostDataPlan(int objects) {
        inTransaction(conn -> insert(conn, POST_DATA_PLAN, null, objects, 0));
    }

    /** Records that the whole snapshot, post-data included, is on the target. Commits on its own. */
    public void finish() {
        inTransaction(conn -> insert(conn, DONE, null, 0, 0));
    }

    /**
     * Reads a pipeline's snapshot record on a target without creating anything there; empty when
     * the target holds none.
     */
    public static Optional<Summary> summary(PgUrl target, String pipeline) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-status"))) {
            try (Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return Optional.empty();
                }
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT item, position::text, rows, bytes, done_at FROM "
                    + TABLE + " WHERE pipeline = ? ORDER BY done_at, item")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    return summarize(rs);
                }
            }
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.isEmpty() || state.startsWith("08") || state.startsWith("28") || state.equals("3D000")) {
                throw PgErrors.connectFailure("target", target, e);
            }
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Cannot read the snapshot's record in " + TABLE + " on the target " + target + ": "
                            + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }

    private static Optional<Summary> summarize(ResultSet rs) throws SQLException {
        Lsn position = Lsn.INVALID;
        Instant startedAt = null;
        Instant lastStepAt = null;
        Instant finishedAt = null;
        boolean preData = false;
        int tables = 0;
        int tablesPlanned = -1;
        long rows = 0;
        long bytes = 0;
        long bytesPlanned = -1;
        int postData = 0;
        int postDataPlanned = -1;
        boolean any = false;
        while (rs.next()) {
            any = true;
            String item = rs.getString(1);
            Instant at = rs.getTimestamp(5).toInstant();
            switch (item) {
                case START -> {
                    position = rs.getString(2) == null ? Lsn.INVALID : Lsn.parse(rs.getString(2));
                    startedAt = at;
                }
                case PLAN -> {
                    tablesPlanned = (int) rs.getLong(3);
                    bytesPlanned = rs.getLong(4);
                    continue;
                }
                case POST_DATA_PLAN -> {
                    postDataPlanned = (int) rs.getLong(3);
                    continue;
                }
                case DONE -> finishedAt = at;
                case PRE_DATA -> preData = true;
                default -> {
                    if (item.startsWith(TABLE_PREFIX)) {
                        tables++;
                        rows += rs.getLong(3);
                        bytes += rs.getLong(4);
                    } else if (item.startsWith(POST_DATA_PREFIX)) {
                        postData++;
                    }
                }
            }
            lastStepAt = lastStepAt == null || at.isAfter(lastStepAt) ? at : lastStepAt;
        }
        return any
                ? Optional.of(new Summary(
                        position,
                        startedAt,
                        preData,
                        tables,
                        tablesPlanned,
                        rows,
                        bytes,
                        bytesPlanned,
                        postData,
                        postDataPlanned,
                        lastStepAt,
                        finishedAt))
                : Optional.empty();
    }

    /** Forgets this pipeline's snapshot. */
    public void clear() {
        inTransaction(conn -> {
            try (PreparedStatement ps = conn.prepareStatement("DELETE FROM " + TABLE + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                ps.executeUpdate();
            }
        });
    }

    private boolean has(String item) {
        return steps().stream().anyMatch(s -> s.item().equals(item));
    }

    private void insert(Connection conn, String item, Lsn position, long rows, long bytes) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TABLE
                + " (pipeline, item, position, rows, bytes) VALUES (?, ?, ?::pg_lsn, ?, ?)"
                + " ON CONFLICT (pipeline, item) DO UPDATE SET position = excluded.position, rows = excluded.rows,"
                + " bytes = excluded.bytes, done_at = now()")) {
            ps.setString(1, pipeline);
            ps.setString(2, item);
            ps.setString(3, position == null || !position.isValid() ? null : position.toString());
            ps.setLong(4, rows);
            ps.setLong(5, bytes);
            ps.executeUpdate();
        }
    }

    private void inTransaction(SqlWork work) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-snapshot"))) {
            conn.setAutoCommit(false);
            work.run(conn);
            conn.commit();
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("target", target, e);
            }
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Cannot keep the snapshot's record in " + TABLE + " on the target " + target + ": "
                            + PgErrors.firstLine(e.getMessage())
                            + ". The target user needs CREATE on the database.",
                    e);
        }
    }
}
