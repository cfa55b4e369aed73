package dev.sluice.transform.rules;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.DdlCommand.ColumnDefinition;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.Rename;
import dev.sluice.core.event.DdlCommand.TableDefinition;
import dev.sluice.core.event.DdlCommand.TableRename;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import dev.sluice.transform.rules.ColumnChain.DynamicStep;
import dev.sluice.transform.rules.CompiledRules.CompiledTable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies compiled rules to row changes, in the snapshot and the stream alike: new rows, and old
 * row images and keys of updates and deletes, go through the same chains, so an update or delete
 * of a row whose key is transformed finds the transformed row on the target, and no raw old value
 * reaches it.
 *
 * <p>Per relation (table and shape), a plan is compiled once: which positions have a chain, which
 * are key columns, which must be written as NULL. The per-row path then only walks arrays.
 *
 * <ul>
 *   <li>An unchanged TOASTed value stays the marker: the target keeps its value, which was
 *       transformed when written.
 *   <li>NULL stays NULL unless the column says {@code null: transform}.
 *   <li>An old image that carries only the key (replica identity DEFAULT or INDEX) is transformed
 *       in its key columns only; the others are NULL placeholders.
 *   <li>Under strict mode, a column without a rule (added by DDL after start-up, or a table with no
 *       rules at all) is written as NULL until a rule covers it, and named in a warning.
 *   <li>A partition (as the snapshot copies them) follows the rules of its partitioned table.
 * </ul>
 *
 * <p>Thread-safe: the snapshot calls it from several workers at once.
 */
public final class Anonymizer implements Processor {

    private static final Logger log = LoggerFactory.getLogger(Anonymizer.class);

    /** Counters for metrics; one instance may outlive several anonymizers (restarts). */
    public static final class Stats {
        final LongAdder transformed = new LongAdder();
        final LongAdder nulled = new LongAdder();
        final LongAdder passedThrough = new LongAdder();
        final LongAdder uncovered = new LongAdder();

        /** Values that went through a chain (noop columns not counted). */
        public long valuesTransformed() {
            return transformed.sum();
        }

        /** Values a transformer failed on that were written as NULL ({@code on_error: null}). */
        public long errorsNulled() {
            return nulled.sum();
        }

        /** Values a transformer failed on that were written unchanged ({@code on_error: pass-through}). */
        public long errorsPassedThrough() {
            return passedThrough.sum();
        }

        /** Values of columns without a rule written as NULL (or a masked default) under strict mode. */
        public long uncoveredNulled() {
            return uncovered.sum();
        }

        private final Set<ColumnRef> uncoveredColumns = ConcurrentHashMap.newKeySet();

        /** The columns met so far that strict mode writes without their values, for status and metrics. */
        public Set<ColumnRef> uncoveredColumns() {
            return Set.copyOf(uncoveredColumns);
        }
    }

    /** A column of a source table. */
    public record ColumnRef(TableId table, String column) {
        @Override
        public String toString() {
            return table + "." + column;
        }
    }

    private final CompiledRules rules;
    private final Stats stats;
    private final Map<TableId, Plan> plans = new ConcurrentHashMap<>();
    /** Tables and columns renamed on the source since the rules were written. */
    private final RuleNames names;
    /** Per table, its NOT NULL columns as the last schema change reported them. */
    private final Map<TableId, Set<String>> notNull = new ConcurrentHashMap<>();

    Anonymizer(CompiledRules rules, Stats stats, RuleNames.Known renamed) {
        this.rules = rules;
        this.stats = stats;
        this.names = new RuleNames(renamed);
    }

    @Override
    public RowChange process(RowChange change) {
        Relation relation = change.relation();
        Plan plan = plan(relation);
        if (plan.passThrough) {
            return change;
        }
        return switch (change) {
            case Insert insert -> {
                Tuple after = plan.apply(insert.after(), false);
                yield after == insert.after() ? insert : new Insert(relation, after);
            }
            case Update update -> {
                Tuple before = update.before() == null ? null : plan.apply(update.before(), true);
                Tuple after = plan.apply(update.after(), false);
                yield before == update.before() && after == update.after()
                        ? update
                        : new Update(relation, before, after);
            }
            case Delete delete -> {
                Tuple before = plan.apply(delete.before(), true);
                yield before == delete.before() ? delete : new Delete(relation, before);
            }
        };
    }

    /**
     * Follows the source's schema: a renamed column keeps its rule, and a column that strict mode
     * writes without its value gets a masked default instead of NULL where it is NOT NULL.
     */
    @Override
    public void schemaChanged(DdlCommand command) {
        command.rename().ifPresent(this::follow);
        for (TableDefinition table : command.tables()) {
            notNull(
                    table.table(),
                    table.columns().stream()
                            .filter(ColumnDefinition::notNull)
                            .map(ColumnDefinition::name)
                            .collect(Collectors.toUnmodifiableSet()));
        }
    }

    /** The table's NOT NULL columns now, as the catalog or the last schema change reported them. */
    public void notNull(TableId table, Set<String> columns) {
        notNull.put(table, Set.copyOf(columns));
        plans.remove(table);
    }

    /**
     * Columns an earlier run already wrote without their values (no rule under strict mode): they
     * are reported from the start, and followed through renames like those met while streaming.
     */
    public void withoutValues(Set<ColumnRef> columns) {
        stats.uncoveredColumns.addAll(columns);
    }

    /** Follows a rename made on the source: the renamed table or column keeps its rules. */
    public void follow(Rename rename) {
        names.follow(rename);
        switch (rename) {
            case TableRename t -> {
                Set<String> required = notNull.remove(t.from());
                if (required != null) {
                    notNull.put(t.to(), required);
                }
                for (ColumnRef c : Set.copyOf(stats.uncoveredColumns)) {
                    if (c.table().equals(t.from())) {
                        stats.uncoveredColumns.remove(c);
                        stats.uncoveredColumns.add(new ColumnRef(t.to(), c.column()));
                    }
                }
                log.info(
                        "Table {} was renamed to {} on the source; it keeps the rules of {}",
                        t.from(),
                        t.to(),
                        names.table(t.to()));
            }
            case ColumnRename c -> {
                // A column without a rule stays without values, and reported, under its new name.
                if (stats.uncoveredColumns.remove(new ColumnRef(c.table(), c.from()))) {
                    stats.uncoveredColumns.add(new ColumnRef(c.table(), c.to()));
                }
                log.info(
                        "Column {}.{} was renamed to {} on the source; it keeps the rule of '{}'",
                        c.table(),
                        c.from(),
                        c.to(),
                        names.column(c.table(), c.to()));
            }
        }
    }

    /** False for a table whose every column passes unchanged (all {@code noop}, none nulled). */
    @Override
    public boolean changes(Relation relation) {
        return !plan(relation).passThrough;
    }

    /**
     * The columns with a chain that transforms, the columns those chains take dynamic parameters
     * from, and the columns strict mode writes without their values (whose NULLs it reads); none
     * for a table that passes unchanged.
     */
    @Override
    public BitSet columnsUsed(Relation relation) {
        Plan plan = plan(relation);
        BitSet used = new BitSet(relation.columnCount());
        for (int k = 0; k < plan.positions.length; k++) {
            used.set(plan.positions[k]);
            for (int[] sources : plan.dynamic[k]) {
                if (sources != null) {
                    for (int p : sources) {
                        used.set(p);
                    }
                }
            }
        }
        for (int i : plan.nulled) {
            used.set(i);
        }
        return used;
    }

    private Plan plan(Relation relation) {
        Plan plan = plans.get(relation.table());
        if (plan != null
                && (plan.relation == relation
                        || (plan.relation.replicaIdentity() == relation.replicaIdentity()
                                && plan.relation.columns().equals(relation.columns())))) {
            return plan;
        }
        plan = compile(relation);
        plans.put(relation.table(), plan);
        return plan;
    }

    private Plan compile(Relation relation) {
        Optional<CompiledTable> table = rules.table(names.table(relation.table()));
        ValidationMode mode = table.map(CompiledTable::mode).orElse(rules.unlistedMode());
        boolean keyOnlyOld = relation.replicaIdentity() != ReplicaIdentity.FULL;
        List<Integer> positions = new ArrayList<>();
        List<ColumnChain> chains = new ArrayList<>();
        List<int[][]> dynamic = new ArrayList<>();
        List<Integer> keys = new ArrayList<>();
        List<Integer> nulled = new ArrayList<>();
        List<String> nulledAs = new ArrayList<>();
        Set<String> requiredColumns = notNull.getOrDefault(relation.table(), Set.of());
        List<String> uncovered = new ArrayList<>();
        for (int i = 0; i < relation.columnCount(); i++) {
            Relation.Column column = relation.column(i);
            String ruleName = names.column(relation.table(), column.name());
            ColumnChain chain = table.map(t -> t.columns().get(ruleName)).orElse(null);
            if (chain == null) {
                if (mode == ValidationMode.STRICT) {
                    nulled.add(i);
                    nulledAs.add(requiredColumns.contains(column.name()) ? MaskedDefaults.of(column.typeOid()) : null);
                    uncovered.add(column.name());
                    stats.uncoveredColumns.add(new ColumnRef(relation.table(), column.name()));
                }
                continue;
            }
            if (chain.isNoop()) {
                continue;
            }
            int[][] sources = new int[chain.steps.length][];
            for (int s = 0; s < chain.steps.length; s++) {
                if (chain.steps[s] instanceof DynamicStep d) {
                    sources[s] = dynamicSources(relation, column, chain, d, keyOnlyOld);
                }
            }
            if (column.key()) {
                keys.add(positions.size());
            }
            positions.add(i);
            chains.add(chain);
            dynamic.add(sources);
        }
        if (!uncovered.isEmpty()) {
            log.warn(
                    "Table {} has {} column(s) without a rule under validation_mode strict: {}. They are written as"
                            + " NULL (a masked default where NOT NULL) until a rule covers them ({}; restart after"
                            + " adding it).",
                    relation.table(),
                    uncovered.size(),
                    String.join(", ", uncovered),
                    rules.rules().origin());
        }
        return new Plan(
                relation,
                positions.stream().mapToInt(Integer::intValue).toArray(),
                chains.toArray(ColumnChain[]::new),
                dynamic.toArray(int[][][]::new),
                keyOnlyOld ? keys.stream().mapToInt(Integer::intValue).toArray() : null,
                nulled.stream().mapToInt(Integer::intValue).toArray(),
                nulledAs.toArray(String[]::new));
    }

    /**
     * Where the columns a dynamic step reads are in this relation. A key column whose transformer
     * reads a non-key column could not be transformed alike in the old keys of updates and deletes,
     * which carry only the key, so the row would not be found: refused.
     */
    private static int[] dynamicSources(
            Relation relation, Relation.Column column, ColumnChain chain, DynamicStep step, boolean keyOnlyOld) {
        int[] positions = new int[step.columns.size()];
        for (int p = 0; p < positions.length; p++) {
            String from = step.columns.get(p);
            int index = -1;
            for (int j = 0; j < relation.columnCount(); j++) {
                if (relation.column(j).name().equals(from)) {
                    index = j;
                }
            }
            if (index < 0) {
                throw new SluiceException(
                        Reason.CONFIG,
                        chain.where + ": transformer '" + step.name() + "' takes parameter '"
                                + step.parameterNames.get(p) + "' from column '" + from + "', which table "
                                + relation.table() + " does not have (any more)");
            }
            if (keyOnlyOld && column.key() && !relation.column(index).key()) {
                throw new SluiceException(
                        Reason.CONFIG,
                        chain.where + ": the column identifies rows (replica identity), and transformer '"
                                + step.name() + "' takes parameter '" + step.parameterNames.get(p) + "' from column '"
                                + from + "', which the old keys of updates and deletes do not carry, so they could not"
                                + " be transformed alike; take parameters of key columns from key columns only, or"
                                + " set REPLICA IDENTITY FULL on the table");
            }
            positions[p] = index;
        }
        return positions;
    }

    /** One relation's compiled work. */
    private final class Plan {
        final Relation relation;
        /** Positions with a chain that transforms. */
        final int[] positions;

        final ColumnChain[] chains;
        /** Per position, per step, the positions its dynamic parameters read. */
        final int[][][] dynamic;
        /** Indexes into {@link #positions} of the key columns, for key-only old images; null when old images are full. */
        final int[] keys;
        /** Positions written without their value: no rule under strict mode. */
        final int[] nulled;
        /** Per nulled position, what is written instead: NULL, or a masked default for a NOT NULL column. */
        final String[] nulledAs;

        final boolean passThrough;

        Plan(
                Relation relation,
                int[] positions,
                ColumnChain[] chains,
                int[][][] dynamic,
                int[] keys,
                int[] nulled,
                String[] nulledAs) {
            this.relation = relation;
            this.positions = positions;
            this.chains = chains;
            this.dynamic = dynamic;
            this.keys = keys;
            this.nulled = nulled;
            this.nulledAs = nulledAs;
            this.passThrough = positions.length == 0 && nulled.length == 0;
        }

        /** The transformed image, or {@code tuple} itself when nothing changed. */
        Tuple apply(Tuple tuple, boolean old) {
            String[] out = null;
            int count = 0;
            boolean keysOnly = old && keys != null;
            int n = keysOnly ? keys.length : positions.length;
            for (int j = 0; j < n; j++) {
                int k = keysOnly ? keys[j] : j;
                int i = positions[k];
                if (tuple.isUnchangedToast(i)) {
                    // The target keeps its value, transformed when it was written.
                    continue;
                }
                ColumnChain chain = chains[k];
                String value = tuple.get(i);
                if (value == null && chain.rule.nulls() == NullPolicy.KEEP) {
                    continue;
                }
                String result = chain.apply(value == null ? "" : value, tuple, dynamic[k], stats);
                count++;
                if (out == null) {
                    out = copy(tuple);
                }
                out[i] = result;
            }
            for (int m = 0; m < nulled.length; m++) {
                int i = nulled[m];
                if (!tuple.isNull(i)) {
                    if (out == null) {
                        out = copy(tuple);
                    }
                    out[i] = nulledAs[m];
                    stats.uncovered.increment();
                }
            }
            if (count > 0) {
                stats.transformed.add(count);
            }
            return out == null ? tuple : Tuple.wrap(out);
        }
    }

    private static String[] copy(Tuple tuple) {
        String[] values = new String[tuple.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = tuple.isUnchangedToast(i) ? Tuple.unchangedToastMarker() : tuple.get(i);
        }
        return values;
    }
}
