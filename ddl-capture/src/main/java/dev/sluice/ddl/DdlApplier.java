package dev.sluice.ddl;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.DdlCommand.DdlObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replays a source schema change on the target, inside the target transaction that holds the
 * source transaction's rows.
 *
 * <p>The statement runs under the source command's {@code search_path}, with function bodies not
 * checked (as {@code pg_restore} does, so a function may name what a later command creates).
 * What a target cannot or need not replay is adapted or left out: {@code CONCURRENTLY}, which
 * cannot run in a transaction, is dropped (the target's build then locks its own table briefly);
 * owners and tablespaces are not replicated, so {@code OWNER TO} and {@code SET TABLESPACE} are
 * skipped; a {@code DROP} of something the target never had (it belonged to a table not
 * replicated) changes nothing.
 */
public final class DdlApplier {

    private static final Logger log = LoggerFactory.getLogger(DdlApplier.class);

    private static final Pattern OWNER_TO = Pattern.compile("(?is)ALTER\\s.*\\sOWNER\\s+TO\\s+\\S+\\s*");
    private static final Pattern SET_TABLESPACE = Pattern.compile("(?is)ALTER\\s.*\\sSET\\s+TABLESPACE\\s+\\S+\\s*");
    private static final Pattern CONCURRENTLY = Pattern.compile(
            "(?is)^((?:CREATE\\s+(?:UNIQUE\\s+)?INDEX|DROP\\s+INDEX|REFRESH\\s+MATERIALIZED\\s+VIEW)\\s+)CONCURRENTLY\\s+");
    private static final Pattern DETACH_CONCURRENTLY =
            Pattern.compile("(?is)(\\sDETACH\\s+PARTITION\\s+.*?)\\s+CONCURRENTLY\\s*$");

    /** SQLSTATEs of "does not exist": undefined_table, undefined_object, undefined_function, undefined_column. */
    private static final Set<String> MISSING = Set.of("42P01", "42704", "42883", "42703");

    private DdlApplier() {}

    /**
     * Runs the change on {@code conn}'s open transaction.
     *
     * @return whether it changed the target (false for what is left out)
     * @throws SluiceException when the change has no statement of its own, naming the command and
     *     its source position
     * @throws SQLException when the target rejects it
     */
    public static boolean apply(Connection conn, SchemaChange change) throws SQLException {
        DdlCommand command = change.command();
        String statement = command.statement().orElseThrow(() -> unreplayable(change.lsn(), command));
        if (OWNER_TO.matcher(statement).matches()
                || SET_TABLESPACE.matcher(statement).matches()) {
            log.debug(
                    "Not replaying {} at source position {}: owners and tablespaces are not replicated",
                    command.tag(),
                    change.lsn());
            return false;
        }
        String sql = forTransaction(statement);
        String previousPath;
        try (Statement st = conn.createStatement();
                var rs = st.executeQuery("SELECT current_setting('search_path')")) {
            rs.next();
            previousPath = rs.getString(1);
        }
        setLocal(conn, "search_path", command.searchPath().isBlank() ? previousPath : command.searchPath());
        setLocal(conn, "check_function_bodies", "off");
        boolean drop = command.tag().startsWith("DROP ");
        try (Statement st = conn.createStatement()) {
            if (drop) {
                st.execute("SAVEPOINT sluice_ddl");
            }
            try {
                st.execute(sql);
            } catch (SQLException e) {
                if (drop && MISSING.contains(e.getSQLState())) {
                    st.execute("ROLLBACK TO SAVEPOINT sluice_ddl");
                    log.debug(
                            "{} at source position {} dropped nothing on the target: {}",
                            command.tag(),
                            change.lsn(),
                            e.getMessage());
                    return false;
                }
                throw e;
            }
            if (drop) {
                st.execute("RELEASE SAVEPOINT sluice_ddl");
            }
        } finally {
            setLocal(conn, "search_path", previousPath);
            setLocal(conn, "check_function_bodies", "on");
        }
        log.info("Replayed {} on {} (source position {})", command.tag(), describe(command.objects()), change.lsn());
        return true;
    }

    /** The statement in a form that runs inside a transaction block. */
    static String forTransaction(String statement) {
        String sql = CONCURRENTLY.matcher(statement).replaceFirst("$1");
        return DETACH_CONCURRENTLY.matcher(sql).replaceFirst("$1");
    }

    private static void setLocal(Connection conn, String name, String value) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT set_config(?, ?, true)")) {
            ps.setString(1, name);
            ps.setString(2, value);
            ps.execute();
        }
    }

    /** The objects, for messages: identities only, never values. */
    public static String describe(List<DdlObject> objects) {
        if (objects.isEmpty()) {
            return "no object";
        }
        return objects.stream()
                .map(o -> o.type() + " " + o.identity())
                .distinct()
                .collect(Collectors.joining(", "));
    }

    private static SluiceException unreplayable(Lsn lsn, DdlCommand command) {
        return new SluiceException(
                Reason.APPLY,
                "Cannot replay the schema change " + command.tag() + " on " + describe(command.objects())
                        + " (source position " + lsn + "): it ran inside a function or a DO block, so its own"
                        + " statement is unknown. Run the same change on the target by hand, then set"
                        + " ddl.skip_through: '" + lsn + "' and restart Sluice to go on past it.");
    }
}
