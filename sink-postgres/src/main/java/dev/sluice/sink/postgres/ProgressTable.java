package dev.sluice.sink.postgres;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;

/**
 * The target's record of how far each pipeline has applied: one row per pipeline in {@code
 * sluice.progress}, written in the same transaction as the rows it accounts for, so data and
 * position are committed together or not at all.
 */
final class ProgressTable {

    static final String SCHEMA = "sluice";
    static final String TABLE = SCHEMA + ".progress";

    /** Where a pipeline stands on the target. */
    record Position(Lsn commitLsn, Lsn endLsn) {
        static final Position NONE = new Position(Lsn.INVALID, Lsn.INVALID);
    }

    private final String pipeline;
    private final String source;
    private PreparedStatement upsert;

    ProgressTable(String pipeline, String source) {
        this.pipeline = pipeline;
        this.source = source;
    }

    /** Creates the table when missing and reads this pipeline's position; commits. */
    Position prepare(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
            st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text PRIMARY KEY,"
                    + " commit_lsn pg_lsn NOT NULL, end_lsn pg_lsn NOT NULL, source_commit_time timestamptz,"
                    + " applied_at timestamptz NOT NULL DEFAULT now())");
            st.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS source text");
        }
        Position position = Position.NONE;
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT commit_lsn::text, end_lsn::text, source FROM " + TABLE + " WHERE pipeline = ?")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    String holder = rs.getString(3);
                    if (holder != null && !holder.equals(source)) {
                        conn.rollback();
                        throw new SluiceException(
                                Reason.TARGET_SCHEMA,
                                "The target already holds pipeline '" + pipeline + "' streamed from another source ("
                                        + holder + "); this source is " + source + ". Their positions would mix and"
                                        + " changes would be skipped. Give this pipeline its own name (source.slot),"
                                        + " or point it at another target database.");
                    }
                    position = new Position(Lsn.parse(rs.getString(1)), Lsn.parse(rs.getString(2)));
                }
            }
        }
        conn.commit();
        upsert = conn.prepareStatement("INSERT INTO " + TABLE
                + " AS p (pipeline, commit_lsn, end_lsn, source_commit_time, applied_at, source)"
                + " VALUES (?, ?::pg_lsn, ?::pg_lsn, ?, now(), ?) ON CONFLICT (pipeline) DO UPDATE SET"
                + " commit_lsn = excluded.commit_lsn, end_lsn = excluded.end_lsn, source = excluded.source,"
                + " source_commit_time = excluded.source_commit_time, applied_at = excluded.applied_at");
        return position;
    }

    /** Records the position inside the caller's open transaction. */
    void record(Lsn commitLsn, Lsn endLsn, Instant commitTime) throws SQLException {
        upsert.setString(1, pipeline);
        upsert.setString(2, commitLsn.toString());
        upsert.setString(3, endLsn.toString());
        upsert.setTimestamp(4, commitTime == null ? null : Timestamp.from(commitTime));
        upsert.setString(5, source);
        upsert.executeUpdate();
    }
}
