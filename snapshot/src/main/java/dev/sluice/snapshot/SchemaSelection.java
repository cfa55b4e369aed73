package dev.sluice.snapshot;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Which of the source's relations the schema copy leaves out, read from the source's catalog under
 * the snapshot pg_dump dumps.
 *
 * <p>pg_dump's {@code --exclude-table} leaves out exactly the relations it names and nothing that
 * depends on them, so the exclusion has to follow the dependencies pg_dump would otherwise write
 * into broken SQL:
 *
 * <ul>
 *   <li>a table not selected is left out with all its partitions (pg_dump 15 would create the
 *       partitions and fail attaching them to the missing parent);
 *   <li>a view or materialized view reading a left-out relation is left out too, with a warning;
 *   <li>a selected table inheriting (not as a partition) from a left-out one cannot be created:
 *       that fails at once, naming both.
 * </ul>
 *
 * <p>Sequences owned by a left-out table are still created, without their {@code OWNED BY} (pg_dump
 * writes it only when it dumps the owning table); identity sequences go with their table. Foreign
 * keys referencing a left-out table are skipped by the post-data step.
 */
final class SchemaSelection {

    private static final String USER_SCHEMAS =
            "n.nspname NOT IN ('pg_catalog', 'information_schema', 'sluice')" + " AND n.nspname NOT LIKE 'pg\\_%'";

    /** Every source relation pg_dump would otherwise create that the copy leaves out. */
    final Set<TableId> excluded;

    /** Partitions, mapped to the root of their partition tree. */
    final Map<TableId, TableId> roots;

    /** Partitioned tables. */
    final Set<TableId> partitioned;

    /** Tables and materialized views with their size in pages, from the statistics. */
    final Map<TableId, Long> pages;

    /** What a person should know about relations left out beyond the selection. */
    final List<String> warnings;

    private SchemaSelection(
            Set<TableId> excluded,
            Map<TableId, TableId> roots,
            Set<TableId> partitioned,
            Map<TableId, Long> pages,
            List<String> warnings) {
        this.excluded = excluded;
        this.roots = roots;
        this.partitioned = partitioned;
        this.pages = pages;
        this.warnings = warnings;
    }

    /**
     * Reads the catalog on a connection whose transaction already sees the snapshot.
     *
     * @param creates whether a top-level table (not a partition) is to be created on the target
     */
    static SchemaSelection read(Connection source, Predicate<TableId> creates) throws SQLException {
        Map<Long, TableId> ids = new HashMap<>();
        Map<Long, Character> kinds = new HashMap<>();
        Map<TableId, TableId> roots = new HashMap<>();
        Set<TableId> partitioned = new TreeSet<>();
        Map<TableId, Long> pages = new HashMap<>();
        Set<TableId> excluded = new TreeSet<>();
        Set<Long> excludedOids = new HashSet<>();
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,"
                        + " greatest(c.relpages, 0), rn.nspname, r.relname"
                        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " LEFT JOIN pg_class r ON c.relispartition AND r.oid = pg_partition_root(c.oid)"
                        + " LEFT JOIN pg_namespace rn ON rn.oid = r.relnamespace"
                        + " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relpersistence <> 't' AND "
                        + USER_SCHEMAS)) {
            while (rs.next()) {
                long oid = rs.getLong(1);
                TableId id = new TableId(rs.getString(2), rs.getString(3));
                char kind = rs.getString(4).charAt(0);
                ids.put(oid, id);
                kinds.put(oid, kind);
                pages.put(id, rs.getLong(6));
                if (kind == 'p') {
                    partitioned.add(id);
                }
                boolean table = kind == 'r' || kind == 'p';
                if (table && rs.getBoolean(5) && rs.getString(8) != null) {
                    TableId root = new TableId(rs.getString(7), rs.getString(8));
                    roots.put(id, root);
                    if (!creates.test(root)) {
                        excluded.add(id);
                        excludedOids.add(oid);
                    }
                } else if (table && !creates.test(id)) {
                    excluded.add(id);
                    excludedOids.add(oid);
                }
            }
        }
        List<String> warnings = new ArrayList<>();
        requireParentsOfInheritors(source, ids, excludedOids);
        excludeDependentViews(source, ids, kinds, excluded, excludedOids, warnings);
        return new SchemaSelection(
                Set.copyOf(excluded), Map.copyOf(roots), Set.copyOf(partitioned), Map.copyOf(pages), warnings);
    }

    /** A selection that leaves nothing out and knows no sizes. */
    static SchemaSelection everything() {
        return new SchemaSelection(Set.of(), Map.of(), Set.of(), Map.of(), List.of());
    }

    /** pg_dump's {@code --exclude-table} patterns naming exactly the left-out relations. */
    List<String> excludePatterns() {
        return excluded.stream().map(SchemaSelection::exactPattern).toList();
    }

    /**
     * A pg_dump pattern matching one relation exactly: inside double quotes, {@code *}, {@code ?},
     * {@code .} and regular-expression characters are literal and letters keep their case; a double
     * quote is written twice.
     */
    static String exactPattern(TableId table) {
        return TableId.quoteIdent(table.schema()) + "." + TableId.quoteIdent(table.name());
    }

    /** The table whose rows a table's rows are copied as: the partition tree's root, or itself. */
    TableId rowsOwner(TableId table) {
        return roots.getOrDefault(table, table);
    }

    private static void requireParentsOfInheritors(Connection source, Map<Long, TableId> ids, Set<Long> excludedOids)
            throws SQLException {
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT i.inhrelid, i.inhparent FROM pg_inherits i"
                        + " JOIN pg_class c ON c.oid = i.inhrelid WHERE NOT c.relispartition")) {
            while (rs.next()) {
                long child = rs.getLong(1);
                long parent = rs.getLong(2);
                if (ids.containsKey(child) && !excludedOids.contains(child) && excludedOids.contains(parent)) {
                    throw new SluiceException(
                            Reason.CONFIG,
                            "source.tables selects " + ids.get(child) + " but not " + ids.get(parent)
                                    + ", which it inherits from: the table cannot be created without its parent."
                                    + " Select both or neither.");
                }
            }
        }
    }

    /** Leaves out views and materialized views that read a left-out relation, directly or through other views. */
    private static void excludeDependentViews(
            Connection source,
            Map<Long, TableId> ids,
            Map<Long, Character> kinds,
            Set<TableId> excluded,
            Set<Long> excludedOids,
            List<String> warnings)
            throws SQLException {
        if (excludedOids.isEmpty()) {
            return;
        }
        Map<Long, List<Long>> readers = new HashMap<>();
        try (Statement st = source.createStatement();
                ResultSet rs = st.executeQuery("SELECT DISTINCT r.ev_class, d.refobjid FROM pg_rewrite r"
                        + " JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid"
                        + " AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class")) {
            while (rs.next()) {
                long view = rs.getLong(1);
                char kind = kinds.getOrDefault(view, ' ');
                if (kind == 'v' || kind == 'm') {
                    readers.computeIfAbsent(rs.getLong(2), k -> new ArrayList<>())
                            .add(view);
                }
            }
        }
        Map<Long, Long> reason = new LinkedHashMap<>();
        List<Long> frontier = new ArrayList<>(excludedOids);
        while (!frontier.isEmpty()) {
            List<Long> next = new ArrayList<>();
            for (long relation : frontier) {
                for (long view : readers.getOrDefault(relation, List.of())) {
                    if (excludedOids.add(view)) {
                        reason.put(view, relation);
                        next.add(view);
                    }
                }
            }
            frontier = next;
        }
        reason.forEach((view, relation) -> {
            excluded.add(ids.get(view));
            warnings.add((kinds.get(view) == 'm' ? "Materialized view " : "View ") + ids.get(view) + " reads "
                    + ids.get(relation) + ", which is not replicated, so it is not created on the target");
        });
    }
}
