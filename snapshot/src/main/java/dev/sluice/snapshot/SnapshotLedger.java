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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

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

    /** A finished step and the source position its content is as of. */
    public record Step(String item, Lsn position, long rows, long bytes) {}

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

    /** The tables already on the target, with the source position each is as of. */
    public Map<TableId, Lsn> copiedTables() {
        Map<TableId, Lsn> tables = new LinkedHashMap<>();
        for (Step step : steps()) {
            if (step.item().startsWith(TABLE_PREFIX)) {
                tables.put(TableId.parseQuoted(step.item().substring(TABLE_PREFIX.length())), step.position());
            }
        }
        return tables;
    }

    /** Records, inside the caller's open transaction, that a table's rows are on the target. */
    public void recordTable(Connection conn, TableId table, Lsn position, long rows, long bytes) throws SQLException {
        insert(conn, TABLE_PREFIX + table.quoted(), position, rows, bytes);
    }

    /** Whether a post-data object, named by its kind, schema and name, is on the target. */
    public boolean postDataDone(String key) {
        return has(POST_DATA_PREFIX + key);
    }

    /** Records, inside the caller's open transaction, that a post-data object is on the target. */
    public void recordPostData(Connection conn, String key) throws SQLException {
        insert(conn, POST_DATA_PREFIX + key, null, 0, 0);
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

    @FunctionalInterface
    private interface Work {
        void run(Connection conn) throws SQLException;
    }

    private void inTransaction(Work work) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-snapshot"))) {
            conn.setAutoCommit(false);
            work.run(conn);
            conn.commit();
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.isEmpty() || state.startsWith("08") || state.startsWith("28") || state.equals("3D000")) {
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
