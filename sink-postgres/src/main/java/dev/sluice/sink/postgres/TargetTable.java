package dev.sluice.sink.postgres;

import dev.sluice.core.PgErrors;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A table as the target's catalog describes it: what the sink needs to address its rows. */
record TargetTable(TableId id, Map<String, Column> columns, List<String> primaryKey) {

    /** A target column; {@code identityAlways} for GENERATED ALWAYS AS IDENTITY. */
    record Column(String name, String type, boolean generated, boolean identityAlways) {}

    /** Reads the table's definition; fails naming the table when the target does not have it. */
    static TargetTable load(Connection conn, TableId id) {
        try {
            Long oid = null;
            try (PreparedStatement ps = conn.prepareStatement("SELECT to_regclass(?)::oid")) {
                ps.setString(1, id.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    oid = rs.getObject(1) == null ? null : rs.getLong(1);
                }
            }
            if (oid == null) {
                throw new SluiceException(
                        Reason.TARGET_SCHEMA,
                        "Table " + id + " receives changes from the source but does not exist on the target."
                                + " Create it there (for example from pg_dump --schema-only --table='" + id.quoted()
                                + "' of the source), or exclude it with source.tables: ['!" + id + "'].");
            }
            Map<String, Column> columns = new LinkedHashMap<>();
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT attname, format_type(atttypid, atttypmod), attgenerated <> '', attidentity = 'a'"
                            + " FROM pg_attribute"
                            + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        columns.put(
                                rs.getString(1),
                                new Column(rs.getString(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4)));
                    }
                }
            }
            List<String> pk = new ArrayList<>();
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT a.attname FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, n)"
                            + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                            + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.n")) {
                ps.setLong(1, oid);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        pk.add(rs.getString(1));
                    }
                }
            }
            return new TargetTable(id, columns, pk);
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.APPLY,
                    "Could not read the definition of " + id + " on the target: " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }
}
