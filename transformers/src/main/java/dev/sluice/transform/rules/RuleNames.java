package dev.sluice.transform.rules;

import dev.sluice.core.TableId;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.Rename;
import dev.sluice.core.event.DdlCommand.TableRename;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The names the rules use for tables and columns renamed on the source since the rules were
 * written: a renamed table or column keeps its rule. Follows chains of renames (a to b, then b to
 * c, keeps a's rule).
 *
 * <p>Thread-safe: renames arrive on the stream's thread while snapshot workers look names up.
 */
public final class RuleNames {

    /** Current table name to the name its rules use; only renamed tables. */
    private final Map<TableId, TableId> tables = new ConcurrentHashMap<>();
    /** Per current table name, current column name to the name its rule uses; only renamed columns. */
    private final Map<TableId, Map<String, String>> columns = new ConcurrentHashMap<>();

    public RuleNames() {}

    /** Knows what {@code known} holds, as {@link #known} of another instance returned it. */
    public RuleNames(Known known) {
        tables.putAll(known.tables());
        known.columns().forEach((table, names) -> columns.put(table, new ConcurrentHashMap<>(names)));
    }

    /**
     * What a {@link RuleNames} knows, as values to keep where renames are not replayed from a
     * record of each (the Kafka producer's state): only renamed tables and columns, by their
     * current names. A sequence of renames could not always rebuild it (two tables that swapped
     * names), so it is kept as it is.
     *
     * @param tables current table name to the name the rules use
     * @param columns per current table name, current column name to the name the rule uses
     */
    public record Known(Map<TableId, TableId> tables, Map<TableId, Map<String, String>> columns) {

        public static final Known NONE = new Known(Map.of(), Map.of());

        public Known {
            tables = Map.copyOf(tables);
            Map<TableId, Map<String, String>> copy = new HashMap<>();
            columns.forEach((table, names) -> {
                if (!names.isEmpty()) {
                    copy.put(table, Map.copyOf(names));
                }
            });
            columns = Map.copyOf(copy);
        }

        public boolean isEmpty() {
            return tables.isEmpty() && columns.isEmpty();
        }
    }

    /** What this knows now. */
    public Known known() {
        return new Known(tables, columns);
    }

    /** Follows one rename, in source order. */
    public void follow(Rename rename) {
        switch (rename) {
            case TableRename t -> {
                TableId rule = tables.getOrDefault(t.from(), t.from());
                tables.remove(t.from());
                if (!rule.equals(t.to())) {
                    tables.put(t.to(), rule);
                }
                Map<String, String> renamedColumns = columns.remove(t.from());
                if (renamedColumns != null) {
                    columns.put(t.to(), renamedColumns);
                }
            }
            case ColumnRename c -> {
                Map<String, String> names = columns.computeIfAbsent(c.table(), t -> new ConcurrentHashMap<>());
                String rule = names.getOrDefault(c.from(), c.from());
                names.remove(c.from());
                if (!rule.equals(c.to())) {
                    names.put(c.to(), rule);
                }
            }
        }
    }

    /** The name the rules use for a table now called {@code current}. */
    public TableId table(TableId current) {
        return tables.getOrDefault(current, current);
    }

    /** The name the rules use for a column of a table, both by their current names. */
    public String column(TableId current, String column) {
        Map<String, String> names = columns.get(current);
        return names == null ? column : names.getOrDefault(column, column);
    }
}
