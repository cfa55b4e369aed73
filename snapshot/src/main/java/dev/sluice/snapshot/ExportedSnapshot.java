package dev.sluice.snapshot;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A logical replication slot created together with an exported snapshot: the data as of the
 * slot's consistent point. Copying under the snapshot and then streaming the slot from that point
 * sees every change exactly once.
 *
 * <p>The snapshot can be imported ({@code SET TRANSACTION SNAPSHOT}) only while this object is open:
 * PostgreSQL keeps it for as long as the connection that created the slot stays idle. Close it once
 * every copy worker has imported it.
 */
public final class ExportedSnapshot implements AutoCloseable {

    private final Connection conn;
    private final String slot;
    private final String name;
    private final Lsn consistentPoint;

    private ExportedSnapshot(Connection conn, String slot, String name, Lsn consistentPoint) {
        this.conn = conn;
        this.slot = slot;
        this.name = name;
        this.consistentPoint = consistentPoint;
    }

    /** Creates the slot with pgoutput and exports its snapshot; waits for transactions open on the source. */
    public static ExportedSnapshot createSlot(PgUrl url, String slot) {
        return create(url, slot, false);
    }

    /**
     * Exports a snapshot through a temporary slot, which the server drops when this closes: the
     * snapshot's consistent point tells exactly which transactions it holds, as a resumed copy
     * needs, without disturbing the pipeline's own slot.
     */
    public static ExportedSnapshot temporarySlot(PgUrl url, String slot) {
        return create(url, slot, true);
    }

    /**
     * Exports a snapshot from an ordinary transaction, for a copy no stream follows: no slot, so no
     * consistent point ({@link Lsn#INVALID}).
     */
    public static ExportedSnapshot withoutSlot(PgUrl url) {
        Connection conn;
        try {
            conn = DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-snapshot"));
        } catch (SQLException e) {
            throw PgErrors.connectFailure("source", url, e);
        }
        try (Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
            try (ResultSet rs = st.executeQuery("SELECT pg_export_snapshot()")) {
                rs.next();
                return new ExportedSnapshot(conn, null, rs.getString(1), Lsn.INVALID);
            }
        } catch (SQLException e) {
            closeQuietly(conn);
            throw new SluiceException(
                    Reason.SOURCE_UNREACHABLE,
                    "Cannot export a snapshot on " + url + ": " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }

    private static ExportedSnapshot create(PgUrl url, String slot, boolean temporary) {
        Properties props = url.replicationProperties("sluice-snapshot");
        Connection conn;
        try {
            conn = DriverManager.getConnection(url.jdbcUrl(), props);
        } catch (SQLException e) {
            throw PgErrors.connectFailure("source", url, e);
        }
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("CREATE_REPLICATION_SLOT " + TableId.quoteIdent(slot)
                        + (temporary ? " TEMPORARY" : "") + " LOGICAL pgoutput EXPORT_SNAPSHOT")) {
            rs.next();
            return new ExportedSnapshot(
                    conn, slot, rs.getString("snapshot_name"), Lsn.parse(rs.getString("consistent_point")));
        } catch (SQLException e) {
            closeQuietly(conn);
            throw new SluiceException(
                    "42710".equals(e.getSQLState()) ? Reason.SOURCE_NOT_READY : Reason.SOURCE_UNREACHABLE,
                    "Cannot create replication slot '" + slot + "' with a snapshot on " + url + ": "
                            + PgErrors.firstLine(e.getMessage())
                            + ("42710".equals(e.getSQLState())
                                    ? ". A snapshot needs a new slot: drop the old one with `sluice destroy` first."
                                    : "."),
                    e);
        }
    }

    private static void closeQuietly(Connection conn) {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Nothing more to release.
        }
    }

    /** The slot created with the snapshot; null when there is none. */
    public String slot() {
        return slot;
    }

    /** The name to pass to {@code SET TRANSACTION SNAPSHOT}. */
    public String name() {
        return name;
    }

    /** Where the slot starts: every transaction committed after it is streamed, none before it. */
    public Lsn consistentPoint() {
        return consistentPoint;
    }

    /**
     * Ends the export; transactions that imported the snapshot keep it. A permanent slot stays, a
     * temporary one goes.
     */
    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Closing ends the export either way.
        }
    }
}
