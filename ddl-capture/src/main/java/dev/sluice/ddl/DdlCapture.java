package dev.sluice.ddl;

import dev.sluice.core.PgErrors;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Installs and removes DDL capture on the source: schema {@code sluice}, its functions, the event
 * triggers {@code sluice_ddl_command_end} and {@code sluice_sql_drop}, and one row per publication
 * whose patterns new tables are matched against.
 *
 * <p>Several pipelines may share a source database: each registers its publication, and the
 * triggers go only when the last one is removed.
 */
public final class DdlCapture {

    /** The event trigger that writes each schema change into the WAL. */
    public static final String TRIGGER = "sluice_ddl_command_end";

    /** What install.sql records on sluice.capture_ddl; change both together. */
    private static final String VERSION = "sluice ddl capture 1";

    private DdlCapture() {}

    /**
     * Installs (or upgrades) DDL capture and registers the publication's table patterns, in one
     * transaction.
     *
     * @throws SluiceException {@link Reason#PRIVILEGE} naming what is missing when the user may not
     *     create event triggers
     */
    public static void install(Connection conn, String publication, TableFilter filter) {
        String where = "installing DDL capture";
        try {
            if (upToDate(conn, publication, filter)) {
                // Nothing to change, so nothing that needs the installer's rights: run may go on as a
                // user that could not have installed it.
                return;
            }
            boolean autoCommit = conn.getAutoCommit();
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.execute(script("install.sql"));
                try (PreparedStatement ps = conn.prepareStatement(
                        "INSERT INTO sluice.ddl_publications (publication, include_patterns, exclude_patterns)"
                                + " VALUES (?, ?, ?) ON CONFLICT (publication) DO UPDATE"
                                + " SET include_patterns = excluded.include_patterns,"
                                + " exclude_patterns = excluded.exclude_patterns")) {
                    ps.setString(1, publication);
                    ps.setArray(2, textArray(conn, filter.posixIncludes().toArray(String[]::new)));
                    ps.setArray(3, textArray(conn, filter.posixExcludes().toArray(String[]::new)));
                    ps.executeUpdate();
                }
                conn.commit();
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw failure(where, conn, e);
        }
    }

    /**
     * Removes the publication's registration, and DDL capture itself when no other publication
     * uses it.
     *
     * @return whether the triggers were removed
     */
    public static boolean uninstall(Connection conn, String publication) {
        try {
            if (!installed(conn)) {
                return false;
            }
            boolean autoCommit = conn.getAutoCommit();
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                boolean others;
                try (PreparedStatement ps =
                        conn.prepareStatement("DELETE FROM sluice.ddl_publications WHERE publication = ?")) {
                    ps.setString(1, publication);
                    ps.executeUpdate();
                }
                try (ResultSet rs = st.executeQuery("SELECT EXISTS (SELECT 1 FROM sluice.ddl_publications)")) {
                    rs.next();
                    others = rs.getBoolean(1);
                }
                if (!others) {
                    st.execute(script("uninstall.sql"));
                }
                conn.commit();
                return !others;
            } catch (SQLException e) {
                conn.rollback();
                throw e;
            } finally {
                conn.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw failure("removing DDL capture", conn, e);
        }
    }

    /** Whether this version is installed, enabled, with the publication registered under these patterns. */
    private static boolean upToDate(Connection conn, String publication, TableFilter filter) throws SQLException {
        if (!installed(conn)) {
            return false;
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT obj_description("
                + "to_regprocedure('sluice.capture_ddl(text, text)'), 'pg_proc') = ?"
                + " AND EXISTS (SELECT 1 FROM sluice.ddl_publications WHERE publication = ?"
                + " AND include_patterns = ? AND exclude_patterns = ?)")) {
            ps.setString(1, VERSION);
            ps.setString(2, publication);
            ps.setArray(3, textArray(conn, filter.posixIncludes().toArray(String[]::new)));
            ps.setArray(4, textArray(conn, filter.posixExcludes().toArray(String[]::new)));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** Whether DDL capture's trigger is on the source, enabled. */
    public static boolean installed(Connection conn) {
        try (PreparedStatement ps =
                conn.prepareStatement("SELECT evtenabled <> 'D' FROM pg_event_trigger WHERE evtname = ?")) {
            ps.setString(1, TRIGGER);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        } catch (SQLException e) {
            throw failure("reading event triggers", conn, e);
        }
    }

    private static Array textArray(Connection conn, String[] values) throws SQLException {
        return conn.createArrayOf("text", values);
    }

    static String script(String name) {
        try (InputStream in = DdlCapture.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SluiceException failure(String what, Connection conn, SQLException e) {
        String user = "the user";
        try {
            user = "user '" + conn.getMetaData().getUserName() + "'";
        } catch (SQLException ignored) {
            // Keep the generic wording.
        }
        if ("42501".equals(e.getSQLState())) {
            return new SluiceException(
                    Reason.PRIVILEGE,
                    "Failed " + what + ": " + user + " may not create event triggers ("
                            + PgErrors.firstLine(e.getMessage()) + "). Event triggers need a superuser; on Amazon RDS"
                            + " and Aurora a member of rds_superuser, on Cloud SQL of cloudsqlsuperuser. Run sluice"
                            + " init as such a user, or set source.ddl_capture: false to replicate without schema"
                            + " changes.",
                    e);
        }
        return new SluiceException(
                Reason.INTERNAL,
                "Failed " + what + " on the source: " + PgErrors.firstLine(e.getMessage()) + " (SQLSTATE "
                        + e.getSQLState() + ")",
                e);
    }
}
