package dev.sluice.pipeline.scan;

import dev.sluice.core.TableId;
import dev.sluice.pipeline.ByteSizes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads, from the source, what the scan needs beyond the replicated schema: each column's type
 * category (domains resolved to their base type), the foreign keys, and a sample of each table's
 * rows.
 *
 * <p><b>How rows are sampled.</b> A table of up to {@link #SMALL_TABLE_BYTES} is read whole and
 * ordered by {@code random()} (seeded, so a second scan proposes the same file): reading a few
 * megabytes costs little, and every row has a chance. A larger table is sampled with {@code
 * TABLESAMPLE SYSTEM}, which picks whole pages at random and reads only those: the cost follows the
 * sample, not the table, so a terabyte table costs what a small one does. {@code ORDER BY random()
 * LIMIT n} would read and sort the whole table, and {@code TABLESAMPLE BERNOULLI} would still read
 * every page. The percentage of pages is computed from the table's size and its rows per page (from
 * the planner's statistics, or one row per page when there are none), aiming at three times the
 * rows wanted, which are then drawn at random from those pages (not the first pages in file
 * order); {@code REPEATABLE} keeps the choice of pages stable between scans. Rows that share
 * a page are alike more often than random rows are; for recognizing what a column holds, that does
 * not matter.
 */
final class SampleReader {

    /** Tables up to this size are read whole (in random order); larger ones are sampled by page. */
    static final long SMALL_TABLE_BYTES = 32L << 20;

    /** {@link #SMALL_TABLE_BYTES}; tests lower it to sample small tables by page. */
    static long smallTableBytes = SMALL_TABLE_BYTES;
    /** Characters of each value looked at (a JSON document is read up to {@link #JSON_CHARS}). */
    static final int VALUE_CHARS = 2_000;

    static final int JSON_CHARS = 100_000;

    private static final int FETCH = 200;

    private final Connection conn;

    SampleReader(Connection conn) {
        this.conn = conn;
    }

    /** A column's type facts, by table and column name. */
    Map<TableId, Map<String, ColumnType>> types() throws SQLException {
        Map<TableId, Map<String, ColumnType>> out = new HashMap<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid,"
                        + " a.atttypmod), b.typname, b.typtype, b.typcategory, e.typname, e.typtype, e.typcategory,"
                        + " CASE WHEN coalesce(e.typname, b.typname) IN ('varchar', 'bpchar')"
                        + " THEN greatest(CASE WHEN a.atttypmod > 0 THEN a.atttypmod ELSE t.typtypmod END - 4, -1)"
                        + " ELSE -1 END"
                        + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " JOIN pg_type t ON t.oid = a.atttypid"
                        + " JOIN pg_type b ON b.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END"
                        + " LEFT JOIN pg_type e ON b.typcategory = 'A' AND e.oid = b.typelem"
                        + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND a.attnum > 0"
                        + " AND NOT a.attisdropped"
                        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema')")) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString(1), rs.getString(2));
                boolean array = rs.getString(8) != null;
                ColumnType.Category category = array
                        ? ColumnType.categorize(rs.getString(8), rs.getString(9), rs.getString(10))
                        : ColumnType.categorize(rs.getString(5), rs.getString(6), rs.getString(7));
                out.computeIfAbsent(id, k -> new HashMap<>())
                        .put(rs.getString(3), new ColumnType(rs.getString(4), category, array, rs.getInt(11)));
            }
        }
        return out;
    }

    /** One column of a foreign key: {@code child.column} references {@code parent.column}. */
    record ForeignKey(TableId child, String childColumn, TableId parent, String parentColumn) {}

    List<ForeignKey> foreignKeys() throws SQLException {
        List<ForeignKey> out = new ArrayList<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT cn.nspname, cc.relname, ca.attname, pn.nspname, pc.relname,"
                        + " pa.attname FROM pg_constraint k"
                        + " CROSS JOIN LATERAL unnest(k.conkey, k.confkey) AS u(child, parent)"
                        + " JOIN pg_class cc ON cc.oid = k.conrelid JOIN pg_namespace cn ON cn.oid = cc.relnamespace"
                        + " JOIN pg_class pc ON pc.oid = k.confrelid JOIN pg_namespace pn ON pn.oid = pc.relnamespace"
                        + " JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = u.child"
                        + " JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.parent"
                        + " WHERE k.contype = 'f' AND k.conparentid = 0 ORDER BY 1, 2, 3")) {
            while (rs.next()) {
                out.add(new ForeignKey(
                        new TableId(rs.getString(1), rs.getString(2)),
                        rs.getString(3),
                        new TableId(rs.getString(4), rs.getString(5)),
                        rs.getString(6)));
            }
        }
        return out;
    }

    /** How a table was sampled, for the summary and the file's comments. */
    record Sample(int rows, String method) {}

    /**
     * Samples up to {@code rows} rows of the table and feeds each column's values to its profile.
     *
     * @param columns the columns to read, with their profiles
     */
    Sample sample(TableId table, Map<String, ColumnProfile> columns, int rows) throws SQLException {
        if (columns.isEmpty() || rows == 0) {
            return new Sample(0, "no column to sample");
        }
        long[] size = size(table);
        long bytes = size[0];
        long tuples = size[1];
        long pages = size[2];
        long blockSize = size[3];
        StringBuilder select = new StringBuilder("SELECT ");
        List<ColumnProfile> profiles = new ArrayList<>();
        for (Map.Entry<String, ColumnProfile> c : columns.entrySet()) {
            if (!profiles.isEmpty()) {
                select.append(", ");
            }
            ColumnType type = c.getValue().type();
            int chars = type.category() == ColumnType.Category.JSON || type.array() ? JSON_CHARS : VALUE_CHARS;
            select.append("left(")
                    .append(TableId.quoteIdent(c.getKey()))
                    .append("::text, ")
                    .append(chars)
                    .append(")");
            profiles.add(c.getValue());
        }
        select.append(" FROM ").append(table.quoted());
        String method;
        boolean wasAutoCommit = conn.getAutoCommit();
        conn.setAutoCommit(false);
        try {
            try (Statement st = conn.createStatement()) {
                st.execute("SET TRANSACTION READ ONLY");
            }
            try (Statement st = conn.createStatement()) {
                st.execute("SELECT setseed(0.42)");
            }
            if (bytes <= smallTableBytes) {
                select.append(" ORDER BY random() LIMIT ").append(rows);
                method = "read whole (" + ByteSizes.format(bytes) + "), up to " + rows + " rows at random";
            } else {
                long filePages = Math.max(1, bytes / blockSize);
                double rowsPerPage = tuples > 0 && pages > 0 ? (double) tuples / pages : 1;
                double wantedPages = Math.max(64, Math.ceil(3.0 * rows / rowsPerPage));
                double percent = Math.min(100, 100 * wantedPages / filePages);
                select.append(" TABLESAMPLE SYSTEM (")
                        .append(String.format(java.util.Locale.ROOT, "%.6f", percent))
                        .append(") REPEATABLE (42) ORDER BY random() LIMIT ")
                        .append(rows);
                method = String.format(
                        java.util.Locale.ROOT, "TABLESAMPLE SYSTEM %.4f%% of %s", percent, ByteSizes.format(bytes));
            }
            int read = 0;
            try (PreparedStatement ps = conn.prepareStatement(select.toString())) {
                ps.setFetchSize(FETCH);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        read++;
                        for (int i = 0; i < profiles.size(); i++) {
                            profiles.get(i).add(rs.getString(i + 1));
                        }
                    }
                }
            }
            conn.commit();
            return new Sample(read, method);
        } catch (SQLException e) {
            conn.rollback();
            throw e;
        } finally {
            conn.setAutoCommit(wasAutoCommit);
        }
    }

    /**
     * {@code {bytes, reltuples, relpages, block size}} of a table, summed over the partitions of a
     * partitioned table. The size is the file's, always current; tuples and pages are the
     * planner's statistics, 0 when the table was never analyzed.
     */
    private long[] size(TableId table) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT coalesce(sum(pg_relation_size(c.oid)), 0),"
                + " coalesce(sum(greatest(c.reltuples, 0)), 0), coalesce(sum(c.relpages), 0),"
                + " current_setting('block_size')::bigint FROM pg_class c"
                + " WHERE c.relkind IN ('r', 'm', 't') AND (c.oid = ?::regclass"
                + " OR c.oid IN (SELECT relid FROM pg_partition_tree(?::regclass) WHERE isleaf))")) {
            ps.setString(1, table.quoted());
            ps.setString(2, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), (long) rs.getDouble(2), rs.getLong(3), rs.getLong(4)};
            }
        }
    }
}
