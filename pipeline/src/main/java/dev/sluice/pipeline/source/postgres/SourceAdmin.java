package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.ddl.DdlCapture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/**
 * What Sluice does to the source outside the replication stream: creates and drops the
 * publication and slot, and reads the catalog for preflight checks and status. Uses a plain SQL
 * connection, so it works for a non-superuser with the {@code REPLICATION} attribute.
 */
public final class SourceAdmin implements AutoCloseable {

    private final PgUrl url;
    private final Connection conn;

    private SourceAdmin(PgUrl url, Connection conn) {
        this.url = url;
        this.conn = conn;
    }

    public static SourceAdmin connect(PgUrl url) {
        try {
            Connection conn = DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-admin"));
            return new SourceAdmin(url, conn);
        } catch (SQLException e) {
            throw PgErrors.connectFailure("source", url, e);
        }
    }

    /** The replication slot as the source reports it. */
    public record SlotStatus(
            String name,
            String plugin,
            boolean active,
            Integer activePid,
            Lsn confirmedFlush,
            Lsn restartLsn,
            Lsn currentWal,
            long retainedWalBytes,
            long lagBytes) {}

    /** Result of {@link #init}: what was created and what already existed. */
    public record InitResult(boolean publicationCreated, boolean slotCreated, List<TableId> tables) {}

    public int serverVersionNum() {
        return queryInt("SHOW server_version_num");
    }

    public String setting(String name) {
        try (PreparedStatement ps = conn.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw failure("reading setting " + name, e);
        }
    }

    /** Tables the filter selects, with their replica identity state; partitions appear through their root. */
    public List<SourceTable> tables(TableFilter filter) {
        // A partitioned table is published through its root, but UPDATE and DELETE on each leaf
        // partition need that partition's own replica identity.
        String identity = "CASE r.relreplident"
                + "  WHEN 'f' THEN true"
                + "  WHEN 'd' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.oid AND i.indisprimary)"
                + "  WHEN 'i' THEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = r.oid AND i.indisreplident)"
                + "  ELSE false END";
        String sql = "SELECT n.nspname, c.relname, c.relkind = 'p',"
                + " CASE WHEN c.relkind = 'p' THEN NOT EXISTS (SELECT 1 FROM pg_partition_tree(c.oid) t"
                + "   JOIN pg_class r ON r.oid = t.relid WHERE t.isleaf AND NOT (" + identity + "))"
                + " ELSE (SELECT " + identity + " FROM pg_class r WHERE r.oid = c.oid) END"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition"
                + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                + " ORDER BY 1, 2";
        List<SourceTable> tables = new ArrayList<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString(1), rs.getString(2));
                if (filter.includes(id)) {
                    tables.add(new SourceTable(id, rs.getBoolean(3), rs.getBoolean(4)));
                }
            }
        } catch (SQLException e) {
            throw failure("listing tables", e);
        }
        return tables;
    }

    /**
     * Unlogged tables the filter selects. Their changes never reach the WAL, so they cannot be
     * published or streamed; a snapshot still copies their rows once.
     */
    public List<TableId> unloggedTables(TableFilter filter) {
        String sql = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'u' AND NOT c.relispartition"
                + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'"
                + " ORDER BY 1, 2";
        List<TableId> tables = new ArrayList<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                TableId id = new TableId(rs.getString(1), rs.getString(2));
                if (filter.includes(id)) {
                    tables.add(id);
                }
            }
        } catch (SQLException e) {
            throw failure("listing unlogged tables", e);
        }
        return tables;
    }

    /** Tables (and partitions) whose own storage settings turn autovacuum on or off. */
    public Set<TableId> tablesWithOwnAutovacuumSetting() {
        String sql = "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE c.relkind = 'r' AND EXISTS (SELECT 1 FROM unnest(c.reloptions) o"
                + " WHERE o LIKE 'autovacuum\\_enabled=%')";
        Set<TableId> tables = new HashSet<>();
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                tables.add(new TableId(rs.getString(1), rs.getString(2)));
            }
        } catch (SQLException e) {
            throw failure("reading tables' autovacuum settings", e);
        }
        return tables;
    }

    /** Tables whose updates and deletes could not be replicated, with the fix for each. */
    public static String describeMissingIdentity(List<SourceTable> tables) {
        List<SourceTable> missing =
                tables.stream().filter(t -> !t.hasIdentity()).toList();
        if (missing.isEmpty()) {
            return "";
        }
        return "These tables have neither a primary key nor a replica identity, so their updates and deletes"
                + " cannot be replicated (and once published, PostgreSQL rejects UPDATE and DELETE on them): "
                + missing.stream().map(t -> t.id().toString()).collect(Collectors.joining(", "))
                + ". Give each a primary key, or run on the source: "
                + missing.stream().map(SourceTable::identityFix).collect(Collectors.joining(" "))
                + " Or leave them out with source.tables: ["
                + missing.stream().map(t -> "'!" + t.id() + "'").collect(Collectors.joining(", ")) + "].";
    }

    /** Fails with a message saying how to enable logical decoding when {@code wal_level} is not {@code logical}. */
    public void requireLogicalWal() {
        String walLevel = setting("wal_level");
        if (!walLevel.equals("logical")) {
            throw new SluiceException(
                    Reason.SOURCE_NOT_READY,
                    "The source " + url + " has wal_level = '" + walLevel + "'; logical replication needs 'logical'."
                            + " Set wal_level = logical and restart the server (Amazon RDS and Aurora: set"
                            + " rds.logical_replication = 1 in the parameter group; Cloud SQL: set the flag"
                            + " cloudsql.logical_decoding = on).");
        }
    }

    /**
     * Creates or updates the publication over the selected tables and creates the slot when
     * missing. Refuses tables without replica identity, since publishing them would make UPDATE and
     * DELETE fail on production.
     */
    public InitResult init(TableFilter filter, String publication, String slot, boolean ddlCapture) {
        PublishResult published = publish(filter, publication, ddlCapture);
        boolean slotCreated = ensureSlot(slot);
        return new InitResult(published.created(), slotCreated, published.tables());
    }

    /** What {@link #publish} did. */
    public record PublishResult(boolean created, List<TableId> tables) {}

    /**
     * Creates or updates the publication over the selected tables, refusing tables without replica
     * identity, and with {@code ddlCapture} installs the event triggers that capture schema changes
     * and add new matching tables to it. Runs before the slot is created, so no change made after
     * the slot's start escapes capture.
     */
    public PublishResult publish(TableFilter filter, String publication, boolean ddlCapture) {
        requireLogicalWal();
        List<SourceTable> tables = tables(filter);
        String missing = describeMissingIdentity(tables);
        if (!missing.isEmpty()) {
            throw new SluiceException(Reason.SOURCE_NOT_READY, missing);
        }
        List<TableId> ids = tables.stream().map(SourceTable::id).toList();
        boolean created = ensurePublication(publication, ids);
        if (ddlCapture) {
            DdlCapture.install(conn, publication, filter);
        }
        return new PublishResult(created, ids);
    }

    /** Drops an inactive slot; a slot being read is refused with the reader's pid. */
    public void dropSlot(String slot) {
        Optional<SlotStatus> status = slot(slot);
        if (status.isEmpty()) {
            return;
        }
        if (status.get().active()) {
            throw new SluiceException(
                    Reason.SLOT_IN_USE,
                    "Replication slot '" + slot + "' is being read by process "
                            + status.get().activePid() + "; stop that reader first.");
        }
        try (PreparedStatement ps = conn.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
            ps.setString(1, slot);
            ps.execute();
        } catch (SQLException e) {
            throw SlotErrors.explain(url, slot, e);
        }
    }

    private boolean ensurePublication(String publication, List<TableId> tables) {
        StringJoiner list = new StringJoiner(", ");
        tables.forEach(t -> list.add(t.quoted()));
        String name = TableId.quoteIdent(publication);
        try {
            boolean exists = exists("SELECT 1 FROM pg_publication WHERE pubname = ?", publication);
            try (Statement st = conn.createStatement()) {
                if (!exists) {
                    st.execute("CREATE PUBLICATION " + name + (tables.isEmpty() ? "" : " FOR TABLE " + list)
                            + " WITH (publish_via_partition_root = true)");
                } else if (!tables.isEmpty()) {
                    st.execute("ALTER PUBLICATION " + name + " SET TABLE " + list);
                }
            }
            return !exists;
        } catch (SQLException e) {
            if ("42501".equals(e.getSQLState())) {
                throw new SluiceException(
                        Reason.PRIVILEGE,
                        "User '" + url.user() + "' may not create publication '" + publication + "' on " + url + ": "
                                + PgErrors.firstLine(e.getMessage())
                                + ". A publication over a table needs the table's owner (or a superuser; on RDS,"
                                + " rds_superuser). Run sluice init as the tables' owner, then run Sluice as a user"
                                + " with REPLICATION.",
                        e);
            }
            throw failure("creating publication " + publication, e);
        }
    }

    private boolean ensureSlot(String slot) {
        try {
            Optional<SlotStatus> existing = slot(slot);
            if (existing.isPresent()) {
                if (!existing.get().plugin().equals("pgoutput")) {
                    throw new SluiceException(
                            Reason.SOURCE_NOT_READY,
                            "A replication slot named '" + slot + "' already exists on the source with plugin '"
                                    + existing.get().plugin() + "'; Sluice needs 'pgoutput'. Choose another"
                                    + " source.slot, or drop that slot if nothing uses it.");
                }
                return false;
            }
            try (PreparedStatement ps =
                    conn.prepareStatement("SELECT database FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, slot);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        throw new SluiceException(
                                Reason.SOURCE_NOT_READY,
                                "Replication slot '" + slot + "' already exists on this server for "
                                        + (rs.getString(1) == null
                                                ? "physical replication"
                                                : "database '" + rs.getString(1) + "'")
                                        + ". Slot names are shared by all databases of a server: give this one its"
                                        + " own source.slot (for example --slot sluice_" + url.database() + ").");
                    }
                }
            }
            try (PreparedStatement ps =
                    conn.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')")) {
                ps.setString(1, slot);
                ps.execute();
            }
            return true;
        } catch (SQLException e) {
            throw SlotErrors.explain(url, slot, e);
        }
    }

    /** The slot's state, or empty when it does not exist in this database. */
    public Optional<SlotStatus> slot(String slot) {
        String sql = "SELECT slot_name, plugin, active, active_pid, confirmed_flush_lsn::text, restart_lsn::text,"
                + " pg_current_wal_lsn()::text,"
                + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint,"
                + " coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint"
                + " FROM pg_replication_slots WHERE slot_name = ? AND database = current_database()";
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new SlotStatus(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getBoolean(3),
                        (Integer) rs.getObject(4),
                        lsn(rs.getString(5)),
                        lsn(rs.getString(6)),
                        lsn(rs.getString(7)),
                        rs.getLong(8),
                        rs.getLong(9)));
            }
        } catch (SQLException e) {
            throw failure("reading replication slot " + slot, e);
        }
    }

    public boolean publicationExists(String publication) {
        try {
            return exists("SELECT 1 FROM pg_publication WHERE pubname = ?", publication);
        } catch (SQLException e) {
            throw failure("reading publications", e);
        }
    }

    /** Whether DDL capture's event triggers are installed and enabled on the source. */
    public boolean ddlCaptureInstalled() {
        return DdlCapture.installed(conn);
    }

    /** Tables the publication currently covers. */
    public List<TableId> publishedTables(String publication) {
        List<TableId> tables = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ? ORDER BY 1, 2")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tables.add(new TableId(rs.getString(1), rs.getString(2)));
                }
            }
        } catch (SQLException e) {
            throw failure("reading publication " + publication, e);
        }
        return tables;
    }

    /** Drops slot and publication; refuses while the slot is being read. Returns what was dropped. */
    public List<String> destroy(String publication, String slot) {
        List<String> dropped = new ArrayList<>();
        Optional<SlotStatus> status = slot(slot);
        if (status.isPresent()) {
            if (status.get().active()) {
                throw new SluiceException(
                        Reason.SLOT_IN_USE,
                        "Replication slot '" + slot + "' is being read by process "
                                + status.get().activePid() + "; stop that Sluice first, then run destroy again.");
            }
            try (PreparedStatement ps = conn.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
                ps.setString(1, slot);
                ps.execute();
                dropped.add("replication slot " + slot);
            } catch (SQLException e) {
                throw SlotErrors.explain(url, slot, e);
            }
        }
        if (DdlCapture.uninstall(conn, publication)) {
            dropped.add("DDL capture (event triggers and functions in schema sluice)");
        }
        if (publicationExists(publication)) {
            try (Statement st = conn.createStatement()) {
                st.execute("DROP PUBLICATION " + TableId.quoteIdent(publication));
                dropped.add("publication " + publication);
            } catch (SQLException e) {
                throw failure("dropping publication " + publication, e);
            }
        }
        return dropped;
    }

    /** Whether the user may read replication slots' streams: superuser, REPLICATION, or RDS's rds_replication. */
    public boolean canReplicate() {
        return queryInt("SELECT (rolsuper OR rolreplication"
                        + " OR EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'rds_replication'"
                        + " AND pg_has_role(current_user, r.oid, 'member')))::int"
                        + " FROM pg_roles WHERE rolname = current_user")
                == 1;
    }

    /** Tables among these that the user may not SELECT (needed by pgoutput and the snapshot). */
    public List<TableId> unreadable(List<TableId> tables) {
        List<TableId> unreadable = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT has_table_privilege(?, 'SELECT')")) {
            for (TableId t : tables) {
                ps.setString(1, t.quoted());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (!rs.getBoolean(1)) {
                        unreadable.add(t);
                    }
                }
            }
        } catch (SQLException e) {
            throw failure("checking table privileges", e);
        }
        return unreadable;
    }

    public int queryInt(String sql) {
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getInt(1);
        } catch (SQLException e) {
            throw failure("running " + sql, e);
        }
    }

    private boolean exists(String sql, String param) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(sql)) {
            ps.setString(1, param);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static Lsn lsn(String text) {
        return text == null ? Lsn.INVALID : Lsn.parse(text);
    }

    private SluiceException failure(String what, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return new SluiceException(
                state.startsWith("08") ? Reason.SOURCE_UNREACHABLE : Reason.INTERNAL,
                "Failed " + what + " on the source " + url + ": " + PgErrors.firstLine(e.getMessage()) + " (SQLSTATE "
                        + state + ")",
                e);
    }

    @Override
    public void close() {
        try {
            conn.close();
        } catch (SQLException ignored) {
            // Nothing to release on a broken connection.
        }
    }
}
