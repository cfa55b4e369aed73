package dev.sluice.ddl;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The target's record of the columns renamed on the source, in {@code sluice.column_renames}:
 * written in the transaction that replays the rename, read at start-up, so that a renamed column
 * keeps the anonymization rule written for its old name across restarts.
 */
public final class ColumnRenames {

    static final String TABLE = "sluice.column_renames";

    private ColumnRenames() {}

    /** Creates the table when missing (in the caller's transaction). */
    public static void prepare(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text NOT NULL, lsn pg_lsn NOT NULL,"
                    + " table_schema text NOT NULL, table_name text NOT NULL, from_name text NOT NULL,"
                    + " to_name text NOT NULL, PRIMARY KEY (pipeline, lsn, table_schema, table_name, from_name))");
        }
    }

    /** Records a rename in the caller's transaction; a replay of the same change records nothing twice. */
    public static void record(Connection conn, String pipeline, ColumnRename rename, Lsn lsn) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO " + TABLE + " VALUES (?, ?::pg_lsn, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, pipeline);
            ps.setString(2, lsn.toString());
            ps.setString(3, rename.table().schema());
            ps.setString(4, rename.table().name());
            ps.setString(5, rename.from());
            ps.setString(6, rename.to());
            ps.executeUpdate();
        }
    }

    /** The pipeline's renames in source order; none when the target has no record. */
    public static List<ColumnRename> read(PgUrl target, String pipeline) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-renames"))) {
            try (Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return List.of();
                }
            }
            List<ColumnRename> renames = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT table_schema, table_name, from_name, to_name"
                    + " FROM " + TABLE + " WHERE pipeline = ? ORDER BY lsn")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        renames.add(new ColumnRename(
                                new TableId(rs.getString(1), rs.getString(2)), rs.getString(3), rs.getString(4)));
                    }
                }
            }
            return renames;
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }
}
