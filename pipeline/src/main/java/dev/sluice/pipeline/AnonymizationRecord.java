package dev.sluice.pipeline;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * The target's record of the key its rows were anonymized under, one row per pipeline in {@code
 * sluice.anonymization}: the key's id (a fingerprint, never the key). A target written under one
 * key is never written under another, since the same values would map differently and joins,
 * updates and deletes would miss; and a target holding anonymized rows is never written raw.
 */
final class AnonymizationRecord {

    static final String TABLE = "sluice.anonymization";

    private AnonymizationRecord() {}

    /**
     * Checks that this run writes as the target's earlier rows were written, and records the key on
     * a target that holds nothing of this pipeline yet.
     *
     * @param keyId the id of the key this run anonymizes with, or {@code null} when it does not
     * @param holdsData whether the target already holds rows this pipeline wrote (a snapshot,
     *     started or done, or streamed changes); asked only when a key is to be recorded
     * @param reset the target is being reset, so whatever it recorded no longer counts
     */
    static void check(PgUrl target, String pipeline, String keyId, BooleanSupplier holdsData, boolean reset) {
        try (Connection conn = DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice"))) {
            conn.setAutoCommit(false);
            boolean exists = tableExists(conn);
            if (reset && exists) {
                try (PreparedStatement ps = conn.prepareStatement("DELETE FROM " + TABLE + " WHERE pipeline = ?")) {
                    ps.setString(1, pipeline);
                    ps.executeUpdate();
                }
            }
            Optional<String> recorded = exists ? recorded(conn, pipeline) : Optional.empty();
            if (keyId == null) {
                if (recorded.isPresent()) {
                    throw new SluiceException(
                            Reason.CONFIG,
                            "The target " + target + " holds rows of pipeline '" + pipeline + "' anonymized under key "
                                    + recorded.get() + ", and transform.file is not set: this run would write raw"
                                    + " values into it. Set transform.file (--transform) and the same key, or start"
                                    + " over with --reset.");
                }
                conn.commit();
                return;
            }
            if (recorded.isPresent()) {
                if (!recorded.get().equals(keyId)) {
                    throw new SluiceException(
                            Reason.CONFIG,
                            "The target " + target + " holds rows of pipeline '" + pipeline + "' anonymized under key "
                                    + recorded.get() + ", but the key given now (SLUICE_KEY or SLUICE_KEY_FILE) is "
                                    + keyId + ": the same values would map differently, so joins, updates and deletes"
                                    + " would miss. Use the key with id " + recorded.get() + ", or start over with"
                                    + " --reset to anonymize everything under the new key.");
                }
                conn.commit();
                return;
            }
            if (!reset && holdsData.getAsBoolean()) {
                throw new SluiceException(
                        Reason.CONFIG,
                        "The target " + target + " holds rows of pipeline '" + pipeline + "' written without"
                                + " anonymization; anonymizing from now on would leave those raw. Start over with"
                                + " --reset, or point at another target database.");
            }
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS sluice");
                st.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " (pipeline text PRIMARY KEY, key_id text NOT NULL,"
                        + " recorded_at timestamptz NOT NULL DEFAULT now())");
            }
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + TABLE + " (pipeline, key_id)"
                    + " VALUES (?, ?) ON CONFLICT (pipeline) DO UPDATE SET key_id = excluded.key_id,"
                    + " recorded_at = now()")) {
                ps.setString(1, pipeline);
                ps.setString(2, keyId);
                ps.executeUpdate();
            }
            conn.commit();
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("target", target, e);
            }
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Recording the anonymization key in " + TABLE + " on the target " + target + " failed: "
                            + PgErrors.firstLine(e.getMessage()) + ". The target user needs CREATE on the database.",
                    e);
        }
    }

    private static boolean tableExists(Connection conn) throws SQLException {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    private static Optional<String> recorded(Connection conn, String pipeline) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT key_id FROM " + TABLE + " WHERE pipeline = ?")) {
            ps.setString(1, pipeline);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }
}
