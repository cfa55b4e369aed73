package dev.sluice.pipeline.verify;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;

/**
 * One side of a comparison: the distinct salted digests of one column's values, in ascending byte
 * order, each with how many rows hold it. The server computes and sorts them (spilling to disk past
 * {@code work_mem}, as any sort does) and hands them over a cursor a batch at a time, so memory here
 * stays at one batch whatever the table's size. The raw values never leave the server.
 */
final class DigestStream implements AutoCloseable {

    private static final int FETCH = 10_000;

    private final Connection conn;
    private final boolean wasAutoCommit;
    private final PreparedStatement ps;
    private final ResultSet rs;
    private byte[] digest;
    private long count;
    private long rows;

    /**
     * @param sql a query returning {@code (digest bytea, count bigint)} ordered by digest, with the
     *     salt as its one parameter
     */
    DigestStream(Connection conn, String sql, String salt) throws SQLException {
        this.conn = conn;
        this.wasAutoCommit = conn.getAutoCommit();
        // A cursor, not the whole result at once, needs a transaction.
        conn.setAutoCommit(false);
        PreparedStatement statement = null;
        try {
            statement = conn.prepareStatement(sql);
            statement.setFetchSize(FETCH);
            statement.setString(1, salt);
            this.ps = statement;
            this.rs = statement.executeQuery();
            advance();
        } catch (SQLException | RuntimeException e) {
            if (statement != null) {
                statement.close();
            }
            conn.rollback();
            conn.setAutoCommit(wasAutoCommit);
            throw e;
        }
    }

    /** The current digest, or {@code null} past the end. */
    byte[] digest() {
        return digest;
    }

    /** Rows holding the current digest. */
    long count() {
        return count;
    }

    /** Rows read so far, the current digest's included. */
    long rows() {
        return rows;
    }

    void advance() throws SQLException {
        if (rs.next()) {
            digest = rs.getBytes(1);
            count = rs.getLong(2);
            rows += count;
        } else {
            digest = null;
            count = 0;
        }
    }

    /** Reads to the end, counting rows. */
    long drain() throws SQLException {
        while (digest != null) {
            advance();
        }
        return rows;
    }

    static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    @Override
    public void close() throws SQLException {
        try {
            rs.close();
            ps.close();
            conn.commit();
        } finally {
            conn.setAutoCommit(wasAutoCommit);
        }
    }
}
