package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * Which database a source is, independent of how it is reached: the cluster's system identifier
 * and the database name, from {@code IDENTIFY_SYSTEM}, which any user with REPLICATION may run.
 */
public final class SourceIdentity {

    private SourceIdentity() {}

    /** Returns e.g. {@code system 7312345678901234567, database app}. */
    public static String read(PgUrl url) {
        Properties props = url.replicationProperties("sluice-identify");
        try (Connection conn = DriverManager.getConnection(url.jdbcUrl(), props);
                Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
            return "system " + rs.getString("systemid") + ", database " + rs.getString("dbname");
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            if (state.equals("42501") || state.equals("28000")) {
                throw new SluiceException(
                        Reason.PRIVILEGE,
                        "User '" + url.user() + "' may not open a replication connection to " + url + ": "
                                + PgErrors.firstLine(e.getMessage()) + ". Grant it REPLICATION (ALTER ROLE ..."
                                + " REPLICATION; on RDS: GRANT rds_replication), and allow replication connections"
                                + " in pg_hba.conf.",
                        e);
            }
            throw PgErrors.connectFailure("source", url, e);
        }
    }
}
