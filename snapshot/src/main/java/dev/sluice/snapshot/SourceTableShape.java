package dev.sluice.snapshot;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * A source table as the copy needs it: the columns that carry data (generated columns are computed
 * again on the target), as a {@link Relation} shaped like the one streaming announces, and its size.
 *
 * @param builtInTypes every column's type is one of the server's own (not a user's or an extension's)
 *     and has binary send and receive functions, its elements too for an array. Only such values can
 *     go through binary {@code COPY} to another server: a user's type has another OID there, and
 *     arrays and composites carry their element types' OIDs in their binary form.
 */
record SourceTableShape(
        TableId id, Relation relation, String columnList, long pages, long estimatedRows, boolean builtInTypes) {

    /** PostgreSQL's FirstNormalObjectId: OIDs below it are assigned by initdb, the same on every server of a version. */
    private static final int FIRST_NORMAL_OID = 16384;

    /**
     * What holds a table's rows: the table itself, or for a partitioned table its leaf partitions
     * (foreign partitions hold none here), so each is copied, and split, on its own.
     */
    static List<TableId> leaves(Connection conn, TableId id) throws SQLException {
        List<TableId> leaves = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT n.nspname, c.relname, c.relkind"
                + " FROM pg_partition_tree(to_regclass(?)) t JOIN pg_class c ON c.oid = t.relid"
                + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE t.isleaf ORDER BY t.level, c.relname")) {
            ps.setString(1, id.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getString(3).equals("f")) {
                        leaves.add(new TableId(rs.getString(1), rs.getString(2)));
                    }
                }
            }
        }
        // pg_partition_tree of a table that is not partitioned is the table itself.
        return leaves.isEmpty() ? List.of(id) : leaves;
    }

    static SourceTableShape read(Connection conn, TableId id) throws SQLException {
        long oid;
        long pages;
        long estimatedRows;
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT c.oid, c.relpages, c.reltuples FROM pg_class c WHERE c.oid = to_regclass(?)")) {
            ps.setString(1, id.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SluiceException(
                            Reason.SOURCE_NOT_READY, "Table " + id + " does not exist on the source.");
                }
                oid = rs.getLong(1);
                pages = Math.max(0, rs.getLong(2));
                // -1 means never analyzed.
                estimatedRows = Math.max(0, rs.getLong(3));
            }
        }
        List<Relation.Column> columns = new ArrayList<>();
        StringJoiner names = new StringJoiner(", ");
        boolean builtInTypes = true;
        try (PreparedStatement ps = conn.prepareStatement("SELECT a.attname, a.atttypid, a.atttypmod,"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary"
                + "   AND a.attnum = ANY (i.indkey)),"
                + " t.typsend <> 0 AND t.typreceive <> 0 AND (t.typelem = 0 OR EXISTS (SELECT 1 FROM pg_type e"
                + "   WHERE e.oid = t.typelem AND e.typsend <> 0 AND e.typreceive <> 0))"
                + " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped"
                + " AND a.attgenerated = '' ORDER BY a.attnum")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int type = rs.getInt(2);
                    columns.add(new Relation.Column(rs.getString(1), type, rs.getInt(3), rs.getBoolean(4)));
                    names.add(TableId.quoteIdent(rs.getString(1)));
                    builtInTypes &= Integer.compareUnsigned(type, FIRST_NORMAL_OID) < 0 && rs.getBoolean(5);
                }
            }
        }
        Relation relation = new Relation((int) oid, id, ReplicaIdentity.DEFAULT, columns);
        return new SourceTableShape(id, relation, names.toString(), pages, estimatedRows, builtInTypes);
    }
}
