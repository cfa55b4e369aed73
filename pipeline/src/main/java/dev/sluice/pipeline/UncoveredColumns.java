package dev.sluice.pipeline;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The target's record of the columns strict mode writes without their values, in {@code
 * sluice.uncovered_columns}: columns added on the source after streaming began, with no rule yet.
 * {@code status} reads it; a restart tolerates them (they stay without values) instead of refusing
 * to start, and forgets those a rule now covers.
 */
public final class UncoveredColumns {

    static final String TABLE = "sluice.uncovered_columns";

    private UncoveredColumns() {}

    /** What the target recorded for the pipeline; none when it has no record. */
    static Set<ColumnRef> read(PgUrl target, String pipeline) {
        try (Connection conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice"))) {
            if (!exists(conn)) {
                return Set.of();
            }
            Set<ColumnRef> columns = new HashSet<>();
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT table_schema, table_name, column_name FROM " + TABLE + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.add(new ColumnRef(new TableId(rs.getString(1), rs.getString(2)), rs.getString(3)));
                    }
                }
            }
            return Set.copyOf(columns);
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    /** Makes the record hold exactly {@code columns}, keeping when each was first seen. */
    static void replace(PgUrl target, String pipeline, Set<ColumnRef> columns) {
        try (Connection conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice"))) {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
                st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text NOT NULL, table_schema text NOT"
                        + " NULL, table_name text NOT NULL, column_name text NOT NULL, since timestamptz NOT NULL"
                        + " DEFAULT now(), PRIMARY KEY (pipeline, table_schema, table_name, column_name))");
            }
            try (PreparedStatement delete = conn.prepareStatement("DELETE FROM " + TABLE + " WHERE pipeline = ?"
                            + " AND (table_schema, table_name, column_name) NOT IN"
                            + " (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]))");
                    PreparedStatement insert = conn.prepareStatement("INSERT INTO " + TABLE
                            + " (pipeline, table_schema, table_name, column_name) VALUES (?, ?, ?, ?)"
                            + " ON CONFLICT DO NOTHING")) {
                List<ColumnRef> list = new ArrayList<>(columns);
                delete.setString(1, pipeline);
                delete.setArray(
                        2,
                        conn.createArrayOf(
                                "text",
                                list.stream().map(c -> c.table().schema()).toArray()));
                delete.setArray(
                        3,
                        conn.createArrayOf(
                                "text", list.stream().map(c -> c.table().name()).toArray()));
                delete.setArray(
                        4,
                        conn.createArrayOf(
                                "text", list.stream().map(ColumnRef::column).toArray()));
                delete.executeUpdate();
                for (ColumnRef c : list) {
                    insert.setString(1, pipeline);
                    insert.setString(2, c.table().schema());
                    insert.setString(3, c.table().name());
                    insert.setString(4, c.column());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
            conn.commit();
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    /** For {@code status}: each recorded column with when it was first seen, oldest first. */
    public static Map<String, String> describe(PgUrl target, String pipeline) {
        Map<String, String> described = new TreeMap<>();
        try (Connection conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice"))) {
            if (!exists(conn)) {
                return described;
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT quote_ident(table_schema) || '.' ||"
                    + " quote_ident(table_name) || '.' || quote_ident(column_name), since::text FROM " + TABLE
                    + " WHERE pipeline = ?")) {
                ps.setString(1, pipeline);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        described.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            return described;
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", target, e);
        }
    }

    /**
     * The NOT NULL columns of these tables on the source, so that a restarted anonymizer writes
     * masked defaults where NULL would be refused.
     */
    static Map<TableId, Set<String>> notNullColumns(PgUrl source, Set<TableId> tables) {
        Map<TableId, Set<String>> columns = new HashMap<>();
        if (tables.isEmpty()) {
            return columns;
        }
        try (Connection conn = DriverManager.getConnection(source.jdbcUrl(), source.sessionProperties("sluice"));
                PreparedStatement ps = conn.prepareStatement("SELECT a.attname FROM pg_attribute a"
                        + " WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull")) {
            for (TableId table : tables) {
                ps.setString(1, table.quoted());
                Set<String> names = new HashSet<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        names.add(rs.getString(1));
                    }
                }
                columns.put(table, names);
            }
        } catch (SQLException e) {
            throw PgErrors.connectFailure("source", source, e);
        }
        return columns;
    }

    static Set<TableId> tablesOf(Set<ColumnRef> columns) {
        return columns.stream().map(ColumnRef::table).collect(Collectors.toSet());
    }

    private static boolean exists(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
