package dev.sluice.ddl;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.Rename;
import dev.sluice.core.event.DdlCommand.TableRename;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The target's record of the tables and columns renamed on the source, in {@code sluice.renames}:
 * written in the transaction that replays the rename, read at start-up, so that a renamed table or
 * column keeps the anonymization rules written for its old name across restarts.
 */
public final class Renames {

    static final String TABLE = "sluice.renames";

    private Renames() {}

    /** Creates the table when missing (in the caller's transaction). */
    public static void prepare(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
            // table_name is the table's name when it was renamed; for a table rename, its old name.
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text NOT NULL, lsn pg_lsn NOT NULL,"
                    + " kind text NOT NULL CHECK (kind IN ('table', 'column')), table_schema text NOT NULL,"
                    + " table_name text NOT NULL, from_name text NOT NULL, to_name text NOT NULL,"
                    + " PRIMARY KEY (pipeline, lsn, kind, table_schema, table_name, from_name))");
            // A table moved to another schema (SET SCHEMA): its new schema; NULL when it stayed in
            // table_schema, as every rename recorded before moves were.
            st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS to_schema text");
        }
    }

    /** Records a rename in the caller's transaction; a replay of the same change records nothing twice. */
    public static void record(Connection conn, String pipeline, Rename rename, Lsn lsn) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO " + TABLE + " (pipeline, lsn, kind, table_schema, table_name, from_name, to_name,"
                        + " to_schema) VALUES (?, ?::pg_lsn, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, pipeline);
            ps.setString(2, lsn.toString());
            switch (rename) {
                case TableRename t -> {
                    ps.setString(3, "table");
                    ps.setString(4, t.from().schema());
                    ps.setString(5, t.from().name());
                    ps.setString(6, t.from().name());
                    ps.setString(7, t.to().name());
                    ps.setString(8, t.to().schema().equals(t.from().schema()) ? null : t.to().schema());
                }
                case ColumnRename c -> {
                    ps.setString(3, "column");
                    ps.setString(4, c.table().schema());
                    ps.setString(5, c.table().name());
                    ps.setString(6, c.from());
                    ps.setString(7, c.to());
                    ps.setString(8, null);
                }
            }
            ps.executeUpdate();
        }
    }

    /** The pipeline's renames in source order; none when the target has no record. */
    public static List<Rename> read(PgUrl target, String pipeline) {
        try (Connection conn =
                DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-renames"))) {
            try (Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return List.of();
                }
            }
            // Recorded before moves were: no to_schema column yet.
            String toSchema;
            try (Statement st = conn.createStatement();
                    ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_attribute WHERE attrelid = '" + TABLE
                            + "'::regclass AND attname = 'to_schema' AND NOT attisdropped")) {
                rs.next();
                toSchema = rs.getInt(1) == 1 ? "to_schema" : "NULL";
            }
            List<Rename> renames = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement("SELECT kind, table_schema, table_name, from_name,"
                    + " to_name, " + toSchema + " FROM " + TABLE + " WHERE pipeline = ? ORDER BY lsn")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String schema = rs.getString(2);
                        renames.add(
                                rs.getString(1).equals("table")
                                        ? new TableRename(
                                                new TableId(schema, rs.getString(4)),
                                                new TableId(
                                                        rs.getString(6) == null ? schema : rs.getString(6),
                                                        rs.getString(5)))
                                        : new ColumnRename(
                                                new TableId(schema, rs.getString(3)),
                                                rs.getString(4),
                                                rs.getString(5)));
                    }
                }
            }
            return renames;
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }
}
