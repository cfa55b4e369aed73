package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.transform.rules.SourceSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads, from the source's catalog, what anonymization rules are checked against: the replicated
 * tables (those {@code source.tables} selects, unlogged ones included, since the snapshot copies
 * them), their replicated columns with types, their unique indexes and primary keys, and which
 * partition belongs to which partitioned table. Three catalog queries, whatever the number of
 * tables.
 */
public final class SourceSchemaReader {

    private static final String USER_SCHEMAS =
            "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'";

    private SourceSchemaReader() {}

    public static SourceSchema read(PgUrl url, TableFilter filter) {
        try (Connection conn = DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-admin"));
                Statement st = conn.createStatement()) {
            Set<TableId> replicated = new HashSet<>();
            Set<TableId> others = new HashSet<>();
            Map<TableId, TableId> roots = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname, c.relispartition, rn.nspname, r.relname"
                    + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)"
                    + " LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                    + " WHERE c.relkind IN ('r', 'p') AND " + USER_SCHEMAS)) {
                while (rs.next()) {
                    TableId id = new TableId(rs.getString(1), rs.getString(2));
                    if (rs.getBoolean(3)) {
                        roots.put(id, new TableId(rs.getString(4), rs.getString(5)));
                    } else if (filter.includes(id)) {
                        replicated.add(id);
                    } else {
                        others.add(id);
                    }
                }
            }
            roots.values().removeIf(root -> !replicated.contains(root));
            Map<TableId, List<SourceSchema.Column>> columns = new LinkedHashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname, a.attname,"
                    + " format_type(a.atttypid, a.atttypmod)"
                    + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                    + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND " + USER_SCHEMAS
                    + " AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
                    + " ORDER BY n.nspname, c.relname, a.attnum")) {
                while (rs.next()) {
                    TableId id = new TableId(rs.getString(1), rs.getString(2));
                    if (replicated.contains(id)) {
                        columns.computeIfAbsent(id, k -> new ArrayList<>())
                                .add(new SourceSchema.Column(rs.getString(3), rs.getString(4)));
                    }
                }
            }
            Map<TableId, List<SourceSchema.UniqueIndex>> indexes = uniqueIndexes(st, replicated);
            Map<TableId, SourceSchema.Table> tables = new LinkedHashMap<>();
            for (TableId id : replicated.stream().sorted().toList()) {
                tables.put(
                        id,
                        new SourceSchema.Table(
                                id, columns.getOrDefault(id, List.of()), indexes.getOrDefault(id, List.of())));
            }
            return new SourceSchema(tables, others, roots);
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("source", url, e);
            }
            throw new SluiceException(
                    Reason.INTERNAL,
                    "Reading the tables, columns and unique indexes of the source " + url + " failed: "
                            + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }

    /**
     * Valid unique indexes (primary keys included) by table, with their key columns in order; an
     * expression element has no column and marks the index as partly unreadable. INCLUDE columns
     * (past {@code indnkeyatts}) do not enforce uniqueness and are left out.
     */
    private static Map<TableId, List<SourceSchema.UniqueIndex>> uniqueIndexes(Statement st, Set<TableId> tables)
            throws SQLException {
        Map<TableId, List<SourceSchema.UniqueIndex>> indexes = new HashMap<>();
        try (ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname, x.relname, i.indisprimary, k.ord, a.attname"
                + " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)"
                + " LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum AND k.attnum > 0"
                + " WHERE i.indisunique AND i.indisvalid AND k.ord <= i.indnkeyatts"
                + " AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND " + USER_SCHEMAS
                + " ORDER BY 1, 2, 3, 5")) {
            TableId table = null;
            String index = null;
            boolean primary = false;
            boolean expressions = false;
            List<String> columns = new ArrayList<>();
            while (rs.next()) {
                TableId t = new TableId(rs.getString(1), rs.getString(2));
                String x = rs.getString(3);
                if (!t.equals(table) || !x.equals(index)) {
                    add(indexes, tables, table, index, primary, columns, expressions);
                    table = t;
                    index = x;
                    primary = rs.getBoolean(4);
                    expressions = false;
                    columns = new ArrayList<>();
                }
                String column = rs.getString(6);
                if (column == null) {
                    expressions = true;
                } else {
                    columns.add(column);
                }
            }
            add(indexes, tables, table, index, primary, columns, expressions);
        }
        return indexes;
    }

    private static void add(
            Map<TableId, List<SourceSchema.UniqueIndex>> indexes,
            Set<TableId> tables,
            TableId table,
            String index,
            boolean primary,
            List<String> columns,
            boolean expressions) {
        if (table != null && tables.contains(table)) {
            indexes.computeIfAbsent(table, k -> new ArrayList<>())
                    .add(new SourceSchema.UniqueIndex(index, primary, columns, expressions));
        }
    }
}
