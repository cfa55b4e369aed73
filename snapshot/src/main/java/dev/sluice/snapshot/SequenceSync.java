package dev.sluice.snapshot;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the target's sequences up to the source's values, because neither the row copy nor pgoutput
 * carries them: without this, the first insert on staging that takes a default id collides with a
 * copied row.
 *
 * <p>A target sequence only ever moves forward (in the direction of its increment): staging may have
 * drawn values of its own, and a target already at or past the source keeps its value. Sequences
 * owned by a column of a table the filter excludes are left alone; standalone sequences are synced,
 * and those the target lacks (its schema may be filtered) are skipped. Each {@link #sync()} costs
 * one query on the source and one statement on the target, whatever the number of sequences.
 *
 * <p>The state of a sequence is read with its {@code last_value} and {@code is_called} together, so a
 * sequence restarted with {@code ALTER SEQUENCE ... RESTART} or {@code setval(..., false)} is
 * followed exactly; {@code pg_sequences.last_value} alone cannot tell that state from one never
 * used. A source user with {@code USAGE} but not {@code SELECT} on a sequence still gets it synced
 * once it has been used; one with neither is named in {@link Result#unreadable()}.
 *
 * <p>Thread-safe: every call opens its own connections.
 */
public final class SequenceSync {

    private static final Logger log = LoggerFactory.getLogger(SequenceSync.class);
    private static final int QUERY_TIMEOUT_SECONDS = 60;

    /**
     * The state of every sequence outside Sluice's and the system schemas, with the table owning it.
     * A sequence is read by running {@code SELECT last_value, is_called} on it through {@code
     * query_to_xml}, the one way to read many sequences in a single query before PostgreSQL 18.
     */
    private static final String SOURCE_SQL = "SELECT n.nspname, c.relname, tn.nspname, t.relname,"
            + " CASE WHEN has_sequence_privilege(c.oid, 'SELECT')"
            + "   THEN query_to_xml(format('SELECT last_value, is_called FROM %s', c.oid::regclass),"
            + "     false, true, '')::text END,"
            + " CASE WHEN NOT has_sequence_privilege(c.oid, 'SELECT') AND has_sequence_privilege(c.oid, 'USAGE')"
            + "   THEN pg_sequence_last_value(c.oid::regclass) END,"
            + " has_sequence_privilege(c.oid, 'SELECT,USAGE')"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid"
            + "   AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')"
            + " LEFT JOIN pg_class t ON t.oid = d.refobjid"
            + " LEFT JOIN pg_namespace tn ON tn.oid = t.relnamespace"
            + " WHERE c.relkind = 'S' AND n.nspname NOT IN ('sluice', 'information_schema')"
            + " AND n.nspname NOT LIKE 'pg\\_%'"
            + " ORDER BY 1, 2";

    /**
     * For each wanted state, in order, what happened on the target: {@code missing}, {@code
     * out_of_range} (the target's bounds differ from the source's), {@code kept} (the target is at or
     * past it) or {@code set}. Reading the target's state and setting it in one statement keeps the
     * window in which staging could draw a value that {@code setval} then takes back as small as it
     * gets. Positions (the value {@code nextval} returns next) compare in numeric, so a sequence at
     * its maximum does not overflow.
     */
    private static final String TARGET_SQL = "SELECT w.i, CASE"
            + "   WHEN s.oid IS NULL THEN 'missing'"
            + "   WHEN w.last_value NOT BETWEEN s.seqmin AND s.seqmax THEN 'out_of_range'"
            + "   WHEN (sign(s.seqincrement) * ("
            + "       CASE WHEN w.is_called THEN w.last_value::numeric + s.seqincrement ELSE w.last_value END"
            + "     - CASE WHEN s.is_called THEN s.last_value::numeric + s.seqincrement ELSE s.last_value END) > 0)"
            + "     IS NOT TRUE THEN 'kept'"
            + "   ELSE 'set ' || setval(s.oid, w.last_value, w.is_called) END"
            + " FROM unnest(?::text[], ?::bigint[], ?::boolean[]) WITH ORDINALITY AS w(name, last_value, is_called, i)"
            + " LEFT JOIN LATERAL ("
            + "   SELECT oid, seqmin, seqmax, seqincrement,"
            + "     substring(state FROM '<last_value>(-?[0-9]+)</last_value>')::bigint AS last_value,"
            + "     substring(state FROM '<is_called>(true|false)</is_called>')::boolean AS is_called"
            + "   FROM ("
            + "     SELECT c.oid, p.seqmin, p.seqmax, p.seqincrement,"
            + "       query_to_xml(format('SELECT last_value, is_called FROM %s', c.oid::regclass),"
            + "         false, true, '')::text AS state"
            + "     FROM pg_class c JOIN pg_sequence p ON p.seqrelid = c.oid"
            + "     WHERE c.oid = to_regclass(w.name)::oid AND c.relkind = 'S'"
            // Reads the sequence once, however often the outer query names its state.
            + "     OFFSET 0) r) s ON true"
            + " ORDER BY w.i";

    private static final Pattern LAST_VALUE = Pattern.compile("<last_value>(-?[0-9]+)</last_value>");
    private static final Pattern IS_CALLED = Pattern.compile("<is_called>(true|false)</is_called>");

    /**
     * What one sync did.
     *
     * @param set target sequences moved forward
     * @param kept target sequences already at or past the source
     * @param missing sequences the target does not have
     * @param unreadable source sequences the source user may not read (neither {@code SELECT} nor
     *     {@code USAGE}), so they were not synced
     * @param outOfRange sequences whose source value lies outside the target's bounds
     */
    public record Result(int set, int kept, List<String> missing, List<String> unreadable, List<String> outOfRange) {
        public Result {
            missing = List.copyOf(missing);
            unreadable = List.copyOf(unreadable);
            outOfRange = List.copyOf(outOfRange);
        }

        /** What a person should fix, when some sequences could not be synced for a reason they control. */
        public Optional<String> problem() {
            List<String> parts = new ArrayList<>();
            if (!unreadable.isEmpty()) {
                parts.add(unreadable.size() + " source sequence(s) are not readable by the source user, so they"
                        + " are not synced: " + names(unreadable)
                        + " (GRANT SELECT ON SEQUENCE ... to the user of source.url)");
            }
            if (!outOfRange.isEmpty()) {
                parts.add(outOfRange.size() + " sequence(s) hold a value on the source outside their bounds on"
                        + " the target, so they are not synced: " + names(outOfRange)
                        + " (their definitions differ; align MINVALUE/MAXVALUE on the target)");
            }
            return parts.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", parts) + ".");
        }

        private static String names(List<String> names) {
            return String.join(", ", names.subList(0, Math.min(10, names.size()))) + (names.size() > 10 ? ", ..." : "");
        }
    }

    /** One sequence's state, as {@code setval} takes it. */
    public record SequenceState(TableId sequence, long lastValue, boolean isCalled) {}

    /**
     * The source's sequences that {@link #sync()} would follow.
     *
     * @param states the readable ones, in name order
     * @param owners the table owning each owned sequence of {@code states}; standalone ones are absent
     * @param unreadable as {@link Result#unreadable()}
     */
    public record SourceSequences(List<SequenceState> states, Map<TableId, TableId> owners, List<String> unreadable) {
        public SourceSequences {
            states = List.copyOf(states);
            owners = Map.copyOf(owners);
            unreadable = List.copyOf(unreadable);
        }

        /** The table owning {@code sequence} (a serial or identity column's), or empty for a standalone one. */
        public Optional<TableId> owner(TableId sequence) {
            return Optional.ofNullable(owners.get(sequence));
        }
    }

    private final PgUrl source;
    private final PgUrl target;
    private final TableFilter filter;

    public SequenceSync(PgUrl source, PgUrl target, TableFilter filter) {
        this.source = source;
        this.target = target;
        this.filter = filter;
    }

    /**
     * Reads the source's sequences, then moves the target's forward to them.
     *
     * @throws SluiceException when a server cannot be reached or a query fails; nothing is left half
     *     done that the next call would not finish
     */
    public Result sync() {
        SourceSequences read = readSource(source, filter);
        if (read.states().isEmpty()) {
            return new Result(0, 0, List.of(), read.unreadable(), List.of());
        }
        Result applied = applyToTarget(target, read.states());
        return new Result(applied.set(), applied.kept(), applied.missing(), read.unreadable(), applied.outOfRange());
    }

    /**
     * The source half of {@link #sync()}: the state of every sequence outside Sluice's and the system
     * schemas, except those owned by a column of a table {@code filter} excludes. One query.
     *
     * @throws SluiceException when the source cannot be reached or the query fails
     */
    public static SourceSequences readSource(PgUrl source, TableFilter filter) {
        List<SequenceState> states = new ArrayList<>();
        Map<TableId, TableId> owners = new HashMap<>();
        List<String> unreadable = new ArrayList<>();
        try (Connection conn = connect(source, "source");
                Statement st = conn.createStatement()) {
            st.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            try (ResultSet rs = st.executeQuery(SOURCE_SQL)) {
                while (rs.next()) {
                    TableId sequence = new TableId(rs.getString(1), rs.getString(2));
                    String ownerSchema = rs.getString(3);
                    TableId owner = ownerSchema == null ? null : new TableId(ownerSchema, rs.getString(4));
                    if (owner != null && !filter.includes(owner)) {
                        log.debug("Sequence {} belongs to a table not replicated; not synced", sequence);
                        continue;
                    }
                    if (!rs.getBoolean(7)) {
                        unreadable.add(sequence.toString());
                        continue;
                    }
                    SequenceState state = state(sequence, rs.getString(5), rs.getLong(6), rs.wasNull());
                    if (state != null) {
                        states.add(state);
                        if (owner != null) {
                            owners.put(sequence, owner);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw queryFailure("source", source, "Reading the sequences", e);
        }
        return new SourceSequences(states, owners, unreadable);
    }

    /**
     * A sequence's state from its {@code query_to_xml} form, else from {@code
     * pg_sequence_last_value} ({@code used}); null when readable through {@code USAGE} only and not
     * used since its last restart: its state cannot be told from a fresh sequence, which never moves
     * a target forward.
     */
    private static SequenceState state(TableId sequence, String xml, long used, boolean notUsed) {
        if (xml != null) {
            Matcher last = LAST_VALUE.matcher(xml);
            Matcher called = IS_CALLED.matcher(xml);
            if (!last.find() || !called.find()) {
                throw new SluiceException(Reason.INTERNAL, "Unexpected state of sequence " + sequence + ": " + xml);
            }
            return new SequenceState(sequence, Long.parseLong(last.group(1)), Boolean.parseBoolean(called.group(1)));
        }
        return notUsed ? null : new SequenceState(sequence, used, true);
    }

    /**
     * The target half of {@link #sync()}: moves each of the target's sequences forward to {@code
     * states}, never back, in one statement; idempotent. The result's {@code unreadable} is empty.
     *
     * @throws SluiceException when the target cannot be reached or the statement fails
     */
    public static Result applyToTarget(PgUrl target, List<SequenceState> states) {
        if (states.isEmpty()) {
            return new Result(0, 0, List.of(), List.of(), List.of());
        }
        String[] names = states.stream().map(st -> st.sequence().quoted()).toArray(String[]::new);
        Long[] values = states.stream().map(SequenceState::lastValue).toArray(Long[]::new);
        Boolean[] called = states.stream().map(SequenceState::isCalled).toArray(Boolean[]::new);
        int set = 0;
        int kept = 0;
        List<String> missing = new ArrayList<>();
        List<String> outOfRange = new ArrayList<>();
        try (Connection conn = connect(target, "target");
                PreparedStatement ps = conn.prepareStatement(TARGET_SQL)) {
            ps.setQueryTimeout(QUERY_TIMEOUT_SECONDS);
            ps.setArray(1, conn.createArrayOf("text", names));
            ps.setArray(2, conn.createArrayOf("bigint", values));
            ps.setArray(3, conn.createArrayOf("boolean", called));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = states.get(rs.getInt(1) - 1).sequence().toString();
                    switch (rs.getString(2)) {
                        case "missing" -> missing.add(name);
                        case "out_of_range" -> outOfRange.add(name);
                        case "kept" -> kept++;
                        default -> set++;
                    }
                }
            }
        } catch (SQLException e) {
            throw queryFailure("target", target, "Setting the sequences", e);
        }
        if (!missing.isEmpty()) {
            log.debug("{} sequence(s) not on the target, not synced: {}", missing.size(), missing);
        }
        log.debug("Sequences: {} set, {} already at or past the source", set, kept);
        return new Result(set, kept, missing, List.of(), outOfRange);
    }

    private static Connection connect(PgUrl url, String role) {
        try {
            return DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-sequences"));
        } catch (SQLException e) {
            throw PgErrors.connectFailure(role, url, e);
        }
    }

    private static SluiceException queryFailure(String role, PgUrl url, String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        Reason reason;
        if (state.startsWith("08") || state.isEmpty()) {
            reason = role.equals("target") ? Reason.TARGET_UNREACHABLE : Reason.SOURCE_UNREACHABLE;
        } else if (state.equals("42501")) {
            reason = Reason.PRIVILEGE;
        } else {
            reason = role.equals("target") ? Reason.APPLY : Reason.SOURCE_NOT_READY;
        }
        String hint = state.equals("42501")
                ? ". The " + role + " user needs " + (role.equals("target") ? "SELECT and UPDATE" : "SELECT")
                        + " on the sequences."
                : ".";
        return new SluiceException(
                reason,
                what + " on the " + role + " " + url + " failed: " + PgErrors.firstLine(e.getMessage()) + hint,
                e);
    }
}
