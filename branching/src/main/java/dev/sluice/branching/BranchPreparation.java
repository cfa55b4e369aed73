package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.PGConnection;

/**
 * Turns a freshly started copy into a branch, as the superuser on its application database: strips
 * the replication bookkeeping, hands the application's objects to the branch's login role and sets
 * that role's password.
 *
 * <p>The branch role must be able to run migrations ({@code ALTER TABLE}, {@code DROP}, {@code
 * CREATE INDEX}), which needs ownership, not grants. The pipeline writes main as its own superuser,
 * {@value MainServer#WRITER_ROLE}, so that role owns what the pipeline made: in the branch it is
 * demoted to a plain role without login or password and the branch role becomes a member of it,
 * which gives the branch role the owner's rights over all of it in constant time. Objects the
 * bootstrap superuser owns (made outside the pipeline) are handed over one by one. The branch role
 * also owns the database. It is no superuser: it cannot read files, start programs, create roles or
 * databases. Objects of extensions stay with their owner.
 *
 * <p>A branch of a branch is cloned from a database its developer owns, so nothing in it may run
 * as the superuser: the superuser's session pins its search path to the catalog (a database
 * setting could put a developer's {@code pg_subscription} view or {@code format} function ahead of
 * the catalog's), and a schema-only branch is emptied over the branch role's own connection (a
 * trigger on {@code TRUNCATE} runs as whoever truncates).
 */
final class BranchPreparation {

    /** The schema where the pipeline keeps its replication state on the target; not part of a branch. */
    static final String PIPELINE_SCHEMA = "sluice";

    /** Hands every non-system object the superuser owns in this database to the role in {@code %1$s}. */
    private static final String TRANSFER_OWNERSHIP = """
            DO $transfer$
            DECLARE
              r record;
              owner_role text := %1$s;
              superuser oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
            BEGIN
              FOR r IN
                SELECT n.nspname FROM pg_namespace n
                WHERE n.nspowner = superuser AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                                  AND d.objid = n.oid AND d.deptype = 'e')
              LOOP
                EXECUTE format('ALTER SCHEMA %%I OWNER TO %%I', r.nspname, owner_role);
              END LOOP;
              FOR r IN
                SELECT c.oid::regclass AS rel, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = superuser AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                                  AND d.objid = c.oid AND d.deptype = 'e')
                  -- A sequence of a serial or identity column moves with its table (and cannot alone).
                  AND (c.relkind <> 'S' OR NOT EXISTS (SELECT 1 FROM pg_depend d
                                  WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
              LOOP
                -- A table takes its indexes and TOAST table with it; partitions are tables of their own.
                EXECUTE format('ALTER %%s %%s OWNER TO %%I',
                               CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                              WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'f' THEN 'FOREIGN TABLE'
                                              ELSE 'TABLE' END,
                               r.rel, owner_role);
              END LOOP;
              FOR r IN
                SELECT t.oid::regtype AS typ, t.typtype FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                WHERE t.typowner = superuser AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                  AND t.typtype IN ('d', 'e', 'r', 'c') AND t.typelem = 0
                  AND (t.typtype <> 'c' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_type'::regclass
                                  AND d.objid = t.oid AND d.deptype = 'e')
              LOOP
                EXECUTE format('ALTER %%s %%s OWNER TO %%I',
                               CASE r.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, r.typ, owner_role);
              END LOOP;
              FOR r IN
                SELECT p.oid::regprocedure AS fn, p.prokind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.proowner = superuser AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
                  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                  AND d.objid = p.oid AND d.deptype = 'e')
              LOOP
                EXECUTE format('ALTER %%s %%s OWNER TO %%I',
                               CASE r.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
                                              ELSE 'FUNCTION' END,
                               r.fn, owner_role);
              END LOOP;
            END
            $transfer$""";

    private BranchPreparation() {}

    /** Opens a connection to the branch's application database as the branch role. */
    @FunctionalInterface
    interface BranchLogin {
        Connection open() throws SQLException;
    }

    /**
     * Prepares the branch through {@code superuser}, a connection to its application database.
     *
     * @param readerRole main's read-only login, which a branch must not accept
     * @param writerRole the pipeline's superuser on main, whose objects the branch role takes over
     * @param asBranch the branch role's own connection, once its password is set: what empties a
     *     schema-only branch
     */
    static void prepare(
            Connection superuser,
            String database,
            String role,
            String password,
            String readerRole,
            String writerRole,
            boolean schemaOnly,
            BranchLogin asBranch) {
        try (Statement s = superuser.createStatement()) {
            s.execute("SET search_path = pg_catalog, pg_temp");
            stripReplication(s);
            s.execute("DROP ROLE IF EXISTS " + TableId.quoteIdent(readerRole));
            if (!exists(s, "SELECT 1 FROM pg_roles WHERE rolname = " + literal(role))) {
                s.execute("CREATE ROLE " + TableId.quoteIdent(role) + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
            }
            // Hashed on this side (SCRAM), so the password never travels or lands in a server log.
            superuser.unwrap(PGConnection.class).alterUserPassword(role, password.toCharArray(), "scram-sha-256");
            if (exists(s, "SELECT 1 FROM pg_roles WHERE rolname = " + literal(writerRole))) {
                String writer = TableId.quoteIdent(writerRole);
                s.execute("ALTER ROLE " + writer
                        + " NOSUPERUSER NOLOGIN NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD NULL");
                s.execute("GRANT " + writer + " TO " + TableId.quoteIdent(role));
            }
            s.execute(String.format(TRANSFER_OWNERSHIP, literal(role)));
            s.execute("ALTER DATABASE " + TableId.quoteIdent(database) + " OWNER TO " + TableId.quoteIdent(role));
            if (schemaOnly) {
                try (Connection branch = asBranch.open();
                        Statement b = branch.createStatement()) {
                    b.execute("SET search_path = pg_catalog, pg_temp");
                    truncateAll(b);
                }
            }
        } catch (SQLException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "preparing the branch's database " + database + " failed [SQLSTATE " + e.getSQLState() + "]: "
                            + e.getMessage(),
                    e);
        }
    }

    private static void stripReplication(Statement s) throws SQLException {
        s.execute("DROP SCHEMA IF EXISTS " + PIPELINE_SCHEMA + " CASCADE");
        for (String sub : column(
                s,
                "SELECT subname FROM pg_subscription WHERE subdbid ="
                        + " (SELECT oid FROM pg_database WHERE datname = current_database())")) {
            String q = TableId.quoteIdent(sub);
            // Detach from the publisher's slot first: dropping must not reach out to production.
            s.execute("ALTER SUBSCRIPTION " + q + " DISABLE");
            s.execute("ALTER SUBSCRIPTION " + q + " SET (slot_name = NONE)");
            s.execute("DROP SUBSCRIPTION " + q);
        }
        for (String pub : column(s, "SELECT pubname FROM pg_publication")) {
            s.execute("DROP PUBLICATION " + TableId.quoteIdent(pub));
        }
        s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active");
    }

    /**
     * Empties every user table the branch role may empty, in one statement so that foreign keys
     * between them do not get in the way; the tables of extensions, which stay with their owner,
     * keep their rows.
     */
    private static void truncateAll(Statement s) throws SQLException {
        List<String> tables = column(
                s,
                "SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition"
                        + " AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
                        + " AND has_table_privilege(c.oid, 'TRUNCATE')");
        if (!tables.isEmpty()) {
            s.execute("TRUNCATE " + String.join(", ", tables));
        }
    }

    private static boolean exists(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next();
        }
    }

    private static List<String> column(Statement s, String sql) throws SQLException {
        List<String> values = new ArrayList<>();
        try (ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getString(1));
            }
        }
        return values;
    }

    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }
}
