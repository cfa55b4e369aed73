package dev.sluice.pipeline;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.SnapshotLedger;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a snapshot does to the tables a target already holds: refuses to copy over them, drops
 * them on request, or empties those an interrupted copy left half-filled.
 */
final class TargetTables {

    private static final Logger log = LoggerFactory.getLogger(TargetTables.class);

    private final PgUrl target;
    private final String pipeline;

    TargetTables(PgUrl target, String pipeline) {
        this.target = target;
        this.pipeline = pipeline;
    }

    /** Refuses a target that already holds tables in the schemas the copy fills. */
    void requireNoneIn(Set<String> schemas) {
        List<String> existing = PostgresSink.userTables(target).stream()
                .filter(t -> schemas.contains(t.schema()))
                .map(TableId::toString)
                .toList();
        if (!existing.isEmpty()) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "The target " + target + " already holds " + existing.size() + " table(s) Sluice did not create ("
                            + String.join(", ", existing.subList(0, Math.min(5, existing.size())))
                            + (existing.size() > 5 ? ", ..." : "") + "). Point Sluice at an empty database, or"
                            + " pass --reset to drop the schemas of the replicated tables on the target and copy"
                            + " again; use --snapshot none if those tables already mirror the source"
                            + " (--snapshot data copies rows into them).");
        }
    }

    /**
     * Drops the schemas (with all they contain) and the pipeline's records, so the snapshot starts
     * from an empty target. Whole schemas, because the schema copy also creates the types, functions
     * and sequences the tables use.
     */
    void reset(Set<String> schemas) {
        log.warn(
                "--reset: dropping schema(s) {} on the target {} with everything in them, and pipeline '{}''s records",
                schemas,
                target,
                pipeline);
        List<String> sql = new ArrayList<>();
        for (String schema : schemas) {
            sql.add("DROP SCHEMA IF EXISTS " + TableId.quoteIdent(schema) + " CASCADE");
        }
        if (schemas.contains("public")) {
            sql.add("CREATE SCHEMA public");
        }
        sql.add("DO $$ BEGIN IF to_regclass('sluice.progress') IS NOT NULL THEN"
                + " DELETE FROM sluice.progress WHERE pipeline = '" + pipeline.replace("'", "''")
                + "'; END IF; END $$");
        run("resetting it", sql.toArray(String[]::new));
        SnapshotLedger.open(target, pipeline).clear();
    }

    /** Removes whatever rows the tables hold. */
    void empty(List<TableId> tables) {
        if (tables.isEmpty()) {
            return;
        }
        StringJoiner names = new StringJoiner(", ");
        tables.forEach(t -> names.add(t.quoted()));
        run("emptying the tables an interrupted copy had not finished", "TRUNCATE " + names);
    }

    private void run(String what, String... statements) {
        try (Connection conn =
                        DriverManager.getConnection(target.jdbcUrl(), target.sessionProperties("sluice-snapshot"));
                Statement st = conn.createStatement()) {
            conn.setAutoCommit(false);
            for (String sql : statements) {
                st.execute(sql);
            }
            conn.commit();
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("target", target, e);
            }
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "Preparing the target " + target + " (" + what + ") failed: " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
    }
}
