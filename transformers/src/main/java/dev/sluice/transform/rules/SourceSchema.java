package dev.sluice.transform.rules;

import dev.sluice.core.TableId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the rules are checked against: the replicated tables of the source with their columns and
 * unique indexes, read from the catalog at start-up. Coverage (strict mode) and the uniqueness check
 * need it; without it the rules are checked on their own (names, parameters).
 *
 * @param tables the replicated tables, by name
 * @param otherTables tables that exist on the source but are not replicated, so that a rule naming
 *     one is told apart from a rule naming a table that does not exist
 * @param partitionRoots each partition of a replicated partitioned table to its top-most root: the
 *     snapshot copies partition by partition, while rules (and the stream) name the root
 */
public record SourceSchema(Map<TableId, Table> tables, Set<TableId> otherTables, Map<TableId, TableId> partitionRoots) {

    public SourceSchema {
        tables = Map.copyOf(tables);
        otherTables = Set.copyOf(otherTables);
        partitionRoots = Map.copyOf(partitionRoots);
    }

    /** A schema of these tables, with no partitions and no other tables (tests). */
    public static SourceSchema of(List<Table> tables) {
        Map<TableId, Table> byId = new LinkedHashMap<>();
        tables.forEach(t -> byId.put(t.id(), t));
        return new SourceSchema(byId, Set.of(), Map.of());
    }

    /**
     * This schema as the rules were written against it, for a pipeline already streaming: columns
     * renamed on the source since then go by the names their rules use, and columns that strict
     * mode already writes without their values (added after streaming began, with no rule yet) are
     * left out, so that they do not stop a restart; they stay reported until a rule covers them.
     *
     * @param names the renames made since
     * @param withoutValues columns written without their values
     */
    public SourceSchema asRulesKnowIt(RuleNames names, Set<Anonymizer.ColumnRef> withoutValues) {
        Map<TableId, Table> adjusted = new LinkedHashMap<>();
        tables.forEach((id, table) -> {
            TableId ruleId = names.table(id);
            List<Column> columns = table.columns().stream()
                    .filter(c -> !withoutValues.contains(new Anonymizer.ColumnRef(id, c.name())))
                    .map(c -> new Column(names.column(id, c.name()), c.type()))
                    .toList();
            List<UniqueIndex> indexes = table.uniqueIndexes().stream()
                    .map(u -> new UniqueIndex(
                            u.name(),
                            u.primary(),
                            u.columns().stream().map(c -> names.column(id, c)).toList(),
                            u.hasExpressions()))
                    .toList();
            adjusted.put(ruleId, new Table(ruleId, columns, indexes));
        });
        return new SourceSchema(adjusted, otherTables, partitionRoots);
    }

    public Optional<Table> table(TableId id) {
        return Optional.ofNullable(tables.get(id));
    }

    /**
     * A replicated table.
     *
     * @param columns the columns that are replicated, in order (generated columns are computed again
     *     on the target, never sent, and are left out)
     */
    public record Table(TableId id, List<Column> columns, List<UniqueIndex> uniqueIndexes) {
        public Table {
            columns = List.copyOf(columns);
            uniqueIndexes = List.copyOf(uniqueIndexes);
        }

        public Optional<Column> column(String name) {
            return columns.stream().filter(c -> c.name().equals(name)).findFirst();
        }
    }

    /** A column and its type as PostgreSQL prints it ({@code format_type}). */
    public record Column(String name, String type) {}

    /**
     * A unique index or primary key: its key columns (INCLUDE columns do not enforce uniqueness and
     * are left out), and whether some of its elements are expressions, which name no column.
     */
    public record UniqueIndex(String name, boolean primary, List<String> columns, boolean hasExpressions) {
        public UniqueIndex {
            columns = List.copyOf(columns);
        }

        public String describe() {
            return (primary ? "primary key" : "unique index") + " " + name + " (" + String.join(", ", columns)
                    + (hasExpressions ? (columns.isEmpty() ? "" : ", ") + "<expression>" : "") + ")";
        }
    }
}
