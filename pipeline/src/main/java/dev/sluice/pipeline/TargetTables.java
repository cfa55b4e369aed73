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

    /**
     * Keeps the target's autovacuum away from the tables the snapshot fills until it is done,
     * inside the caller's transaction (the one that creates them). A fresh table passes its
     * autovacuum threshold during the copy, and a vacuum running then makes the index builds and
     * foreign keys wait up to {@code deadlock_timeout} for each cancellation. Tables whose own
     * settings name {@code autovacuum_enabled} are left as they are.
     */
    static void pauseAutovacuum(Connection conn, Set<String> schemas) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(
                    "DO $sluice$ DECLARE r record; BEGIN FOR r IN SELECT c.oid::regclass AS t FROM pg_class c"
                            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = ANY ("
                            + arrayLiteral(schemas) + ") AND NOT EXISTS (SELECT 1 FROM unnest(c.reloptions) o"
                            + " WHERE o LIKE 'autovacuum\\_enabled=%') LOOP"
                            + " EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false)', r.t); END LOOP; END $sluice$");
        }
    }

    /**
     * Gives the tables back to autovacuum once the snapshot is done, except those the source
     * itself keeps it away from.
     */
    void resumeAutovacuum(Set<String> schemas, Set<TableId> offOnSource) {
        StringJoiner keep = new StringJoiner(", ", "ARRAY[", "]::text[]");
        keep.add("''");
        offOnSource.forEach(t -> keep.add("'" + t.quoted().replace("'", "''") + "'"));
        run(
                "giving the copied tables back to autovacuum",
                "DO $sluice$ DECLARE r record; BEGIN FOR r IN SELECT c.oid::regclass AS t FROM pg_class c"
                        + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = ANY ("
                        + arrayLiteral(schemas) + ") AND 'autovacuum_enabled=false' = ANY (c.reloptions)"
                        + " AND '\"' || replace(n.nspname, '\"', '\"\"') || '\".\"' || replace(c.relname, '\"', '\"\"')"
                        + " || '\"' <> ALL (" + keep + ") LOOP"
                        + " EXECUTE format('ALTER TABLE %s RESET (autovacuum_enabled)', r.t); END LOOP; END $sluice$");
    }

    private static String arrayLiteral(Set<String> values) {
        StringJoiner array = new StringJoiner(", ", "ARRAY[", "]::text[]");
        array.add("''");
        values.forEach(v -> array.add("'" + v.replace("'", "''") + "'"));
        return array.toString();
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
