package dev.sluice.transform.rules;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.ColumnChain.DynamicStep;
import dev.sluice.transform.rules.ColumnChain.StaticStep;
import dev.sluice.transform.rules.Rules.ColumnRule;
import dev.sluice.transform.rules.Rules.TableRules;
import dev.sluice.transform.rules.SourceSchema.Table;
import dev.sluice.transform.rules.SourceSchema.UniqueIndex;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Rules checked and built once, at start-up: every transformer made from its parameters under its
 * domain's key, and, when the source's schema is known, coverage (strict mode) and the uniqueness
 * each unique index needs. All problems of the file are reported together, each naming file, line,
 * table and column. The result makes the {@link Anonymizer} that the snapshot and the stream share.
 */
public final class CompiledRules {

    /** One table's compiled columns; {@code mode} is STRICT or RELAXED. */
    record CompiledTable(TableId id, ValidationMode mode, Map<String, ColumnChain> columns) {}

    private final Rules rules;
    private final Map<TableId, CompiledTable> tables;
    private final Map<TableId, TableId> partitionRoots;
    private final String keyId;
    private final List<String> warnings;
    private final List<String> notes;
    private final Summary summary;

    private CompiledRules(
            Rules rules,
            Map<TableId, CompiledTable> tables,
            Map<TableId, TableId> partitionRoots,
            String keyId,
            List<String> warnings,
            List<String> notes,
            Summary summary) {
        this.rules = rules;
        this.tables = Map.copyOf(tables);
        this.partitionRoots = Map.copyOf(partitionRoots);
        this.keyId = keyId;
        this.warnings = List.copyOf(warnings);
        this.notes = List.copyOf(notes);
        this.summary = summary;
    }

    /**
     * Checks and builds the rules.
     *
     * @param keyring the master key the deterministic transformers draw from
     * @param schema the replicated tables of the source, or {@code null} to check the file on its own
     * @throws SluiceException of reason CONFIG listing every problem found
     */
    public static CompiledRules compile(
            Rules rules, TransformerRegistry registry, Keyring keyring, SourceSchema schema) {
        return new Compiler(rules, registry, keyring, schema).compile();
    }

    public Rules rules() {
        return rules;
    }

    /** The id of the key the transformers were built with, for the target to record. */
    public String keyId() {
        return keyId;
    }

    /** Things that work but deserve a look: columns passing through, unchecked indexes, pass-through on errors. */
    public List<String> warnings() {
        return warnings;
    }

    /** Findings that are allowed: transformers unique in practice on unique columns, accepted losses. */
    public List<String> notes() {
        return notes;
    }

    public Summary summary() {
        return summary;
    }

    /** The processor that applies these rules; share one between the snapshot and the stream. */
    public Anonymizer anonymizer(Anonymizer.Stats stats) {
        return anonymizer(stats, RuleNames.Known.NONE);
    }

    /**
     * An anonymizer for a pipeline already streaming, which knows the renames made on the source
     * since the rules were written.
     */
    public Anonymizer anonymizer(Anonymizer.Stats stats, RuleNames.Known renamed) {
        return new Anonymizer(this, stats, renamed);
    }

    /** How tables without rules are treated: written as NULL under strict mode, else passed through. */
    ValidationMode unlistedMode() {
        return rules.validationMode() == ValidationMode.STRICT ? ValidationMode.STRICT : ValidationMode.RELAXED;
    }

    /** The rules of a table, or of the partitioned table it is a partition of. */
    Optional<CompiledTable> table(TableId id) {
        CompiledTable t = tables.get(id);
        if (t == null) {
            TableId root = partitionRoots.get(id);
            t = root == null ? null : tables.get(root);
        }
        return Optional.ofNullable(t);
    }

    /**
     * What the rules cover, for {@code sluice validate}.
     *
     * @param transformers columns per transformer name (a chain counts each of its steps)
     * @param replicatedTables with a schema, the tables replicated; -1 without
     * @param replicatedColumns with a schema, their columns; -1 without
     * @param coveredColumns with a schema, those with a rule; -1 without
     */
    public record Summary(
            int tables,
            int columns,
            int noopColumns,
            SortedMap<String, Integer> transformers,
            int replicatedTables,
            int replicatedColumns,
            int coveredColumns) {

        public String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append(tables)
                    .append(" table(s) with rules, ")
                    .append(columns)
                    .append(" column rule(s) (")
                    .append(columns - noopColumns)
                    .append(" transformed, ")
                    .append(noopColumns)
                    .append(" noop)");
            if (replicatedTables >= 0) {
                sb.append("; source: ")
                        .append(replicatedTables)
                        .append(" replicated table(s), ")
                        .append(coveredColumns)
                        .append(" of ")
                        .append(replicatedColumns)
                        .append(" column(s) covered");
            }
            if (!transformers.isEmpty()) {
                sb.append("\ntransformers used: ")
                        .append(transformers.entrySet().stream()
                                .map(e -> e.getKey() + " x" + e.getValue())
                                .collect(Collectors.joining(", ")));
            }
            return sb.toString();
        }
    }

    /** One compilation; collects problems instead of stopping at the first. */
    private static final class Compiler {

        private final Rules rules;
        private final TransformerRegistry registry;
        private final Keyring keyring;
        private final SourceSchema schema;
        private final Problems problems;
        private final List<String> warnings = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private final Map<String, DomainKey> domains = new HashMap<>();
        private final Map<TableId, CompiledTable> compiled = new LinkedHashMap<>();

        Compiler(Rules rules, TransformerRegistry registry, Keyring keyring, SourceSchema schema) {
            this.rules = rules;
            this.registry = registry;
            this.keyring = keyring;
            this.schema = schema;
            this.problems = new Problems(rules.origin());
        }

        CompiledRules compile() {
            for (TableRules t : rules.tables()) {
                compiled.put(t.table(), table(t));
            }
            Summary summary = summary();
            if (schema != null) {
                checkAgainstSchema();
                checkUniqueness();
            }
            List<String> passThrough = rules.tables().stream()
                    .flatMap(t -> t.columns().values().stream()
                            .filter(c -> c.onError() == OnError.PASS_THROUGH && !c.isNoop())
                            .map(c -> t.table() + "." + c.column()))
                    .toList();
            if (!passThrough.isEmpty()) {
                warnings.add(rules.origin() + ": on_error: pass-through writes the ORIGINAL value to the target when a"
                        + " transformer fails, for " + String.join(", ", passThrough)
                        + "; fail (the default) or null keep raw values out");
            }
            problems.throwIfAny();
            return new CompiledRules(
                    rules,
                    compiled,
                    schema == null ? Map.of() : schema.partitionRoots(),
                    keyring.id(),
                    warnings,
                    notes,
                    summary);
        }

        private CompiledTable table(TableRules t) {
            Optional<Table> source = schema == null ? Optional.empty() : schema.table(t.table());
            Map<String, ColumnChain> columns = new LinkedHashMap<>();
            for (ColumnRule c : t.columns().values()) {
                String type = source.flatMap(s -> s.column(c.column()))
                        .map(SourceSchema.Column::type)
                        .orElse(null);
                List<ColumnChain.Step> steps = new ArrayList<>();
                for (Rules.Step step : c.steps()) {
                    ColumnChain.Step built = step(t.table(), c, step, type);
                    if (built != null) {
                        steps.add(built);
                    }
                }
                if (steps.size() == c.steps().size()) {
                    columns.put(c.column(), new ColumnChain(t.table(), c, steps, rules.origin() + ":" + c.line()));
                }
            }
            return new CompiledTable(t.table(), t.mode(), columns);
        }

        private ColumnChain.Step step(TableId table, ColumnRule c, Rules.Step step, String type) {
            String where = problems.at(step.line()) + "table " + table + ", column '" + c.column() + "'";
            Optional<TransformerFactory> factory = registry.find(step.name());
            if (factory.isEmpty()) {
                problems.error(where + ": " + registry.unknown(step.name()));
                return null;
            }
            DomainKey key = domains.computeIfAbsent(step.domain(), keyring::domain);
            String column = table + "." + c.column();
            if (!step.dynamicParameters().isEmpty()) {
                return new DynamicStep(
                        step.name(),
                        factory.get(),
                        column,
                        type,
                        where,
                        step.parameters(),
                        step.dynamicParameters(),
                        key,
                        probeUniqueness(factory.get(), step, column, type, where, key));
            }
            try {
                Parameters parameters = new Parameters(where, step.name(), step.parameters());
                Transformer transformer = factory.get().create(new TransformerContext(column, type, parameters, key));
                parameters.requireAllUsed();
                if (transformer == null) {
                    throw new IllegalStateException("transformer factory '" + step.name() + "' returned null");
                }
                return new StaticStep(step.name(), transformer);
            } catch (SluiceException e) {
                problems.error(e.getMessage());
            } catch (RuntimeException e) {
                problems.error(where + ": transformer '" + step.name() + "' could not be built: " + e);
            }
            return null;
        }

        /**
         * A dynamic step's transformer is made per row values, so it is built here with its fixed
         * parameters only, to check them and learn its uniqueness; a complaint about a dynamic
         * parameter itself is expected then and ignored. Unknown uniqueness counts as NONE.
         */
        private Uniqueness probeUniqueness(
                TransformerFactory factory, Rules.Step step, String column, String type, String where, DomainKey key) {
            try {
                Parameters parameters = new Parameters(where, step.name(), step.parameters());
                Transformer probe = factory.create(new TransformerContext(column, type, parameters, key));
                parameters.requireAllUsed();
                return probe == null ? Uniqueness.NONE : probe.uniqueness();
            } catch (SluiceException e) {
                boolean aboutDynamic = step.dynamicParameters().keySet().stream()
                        .anyMatch(p -> e.getMessage().contains("'" + p + "'"));
                if (!aboutDynamic) {
                    problems.error(e.getMessage());
                }
                return Uniqueness.NONE;
            } catch (RuntimeException e) {
                return Uniqueness.NONE;
            }
        }

        private void checkAgainstSchema() {
            List<String> uncovered = new ArrayList<>();
            int uncoveredCount = 0;
            List<String> passing = new ArrayList<>();
            for (TableRules t : rules.tables()) {
                boolean strict = t.mode() == ValidationMode.STRICT;
                String at = problems.at(t.line()) + "table " + t.table() + ": ";
                Optional<Table> source = schema.table(t.table());
                if (source.isEmpty()) {
                    TableId root = schema.partitionRoots().get(t.table());
                    if (root != null) {
                        problems.error(at + "is a partition of " + root + "; rules name the partitioned table, as"
                                + " the stream reports its changes under that name");
                    } else if (schema.otherTables().contains(t.table())) {
                        warnings.add(at + "is not replicated (source.tables leaves it out), so its rules are unused");
                    } else if (strict) {
                        problems.error(at + "does not exist on the source"
                                + Names.suggestion(
                                        t.table().toString(),
                                        schema.tables().keySet().stream()
                                                .map(TableId::toString)
                                                .toList()));
                    } else {
                        warnings.add(at + "does not exist on the source; its rules are unused");
                    }
                    continue;
                }
                Table table = source.get();
                List<String> names =
                        table.columns().stream().map(SourceSchema.Column::name).toList();
                for (ColumnRule c : t.columns().values()) {
                    String where = problems.at(c.line()) + "table " + t.table() + ", column '" + c.column() + "': ";
                    if (table.column(c.column()).isEmpty()) {
                        String message = "no such column on the source (it has " + String.join(", ", names)
                                + Names.suggestion(c.column(), names) + ")";
                        if (strict) {
                            problems.error(where + message);
                        } else {
                            warnings.add(where + message + "; the rule is unused");
                        }
                        continue;
                    }
                    for (String from : dynamicColumns(c)) {
                        if (table.column(from).isEmpty()) {
                            problems.error(where + "a dynamic parameter reads column '" + from
                                    + "', which the table does not have" + Names.suggestion(from, names));
                        }
                    }
                }
                List<String> missing =
                        names.stream().filter(n -> !t.columns().containsKey(n)).toList();
                if (!missing.isEmpty()) {
                    (strict ? uncovered : passing).add(t.table() + ": " + String.join(", ", missing));
                    uncoveredCount += strict ? missing.size() : 0;
                }
            }
            List<String> unlisted = new ArrayList<>();
            List<Table> sorted = schema.tables().values().stream()
                    .sorted(Comparator.comparing(Table::id))
                    .toList();
            for (Table table : sorted) {
                if (rules.table(table.id()).isPresent()) {
                    continue;
                }
                if (rules.validationMode() == ValidationMode.STRICT) {
                    uncoveredCount += table.columns().size();
                    uncovered.add(table.id() + " (no rules): "
                            + table.columns().stream()
                                    .map(SourceSchema.Column::name)
                                    .collect(Collectors.joining(", ")));
                } else {
                    unlisted.add(table.id().toString());
                }
            }
            if (!uncovered.isEmpty()) {
                problems.error(rules.origin() + ": validation_mode strict: " + uncoveredCount
                        + " column(s) of replicated tables have no rule; give each a transformer, or noop to pass"
                        + " it through:\n    " + String.join("\n    ", uncovered));
            }
            if (!passing.isEmpty()) {
                warnings.add(rules.origin() + ": columns without a rule pass through unchanged (relaxed): "
                        + String.join("; ", passing));
            }
            if (!unlisted.isEmpty()) {
                warnings.add(rules.origin() + ": tables without rules pass through unchanged ("
                        + rules.validationMode().word() + "): " + String.join(", ", unlisted));
            }
        }

        private static List<String> dynamicColumns(ColumnRule c) {
            return c.steps().stream()
                    .flatMap(s -> s.dynamicParameters().values().stream())
                    .toList();
        }

        private void checkUniqueness() {
            for (CompiledTable ct : compiled.values()) {
                Optional<Table> source = schema.table(ct.id());
                if (source.isEmpty()) {
                    continue;
                }
                boolean transforms = ct.columns().values().stream().anyMatch(c -> !c.isNoop());
                for (UniqueIndex index : source.get().uniqueIndexes()) {
                    for (String column : index.columns()) {
                        ColumnChain chain = ct.columns().get(column);
                        if (chain == null || chain.isNoop()) {
                            continue;
                        }
                        uniqueness(chain, index);
                    }
                    if (index.hasExpressions() && transforms) {
                        warnings.add(problems.at(0) + "table " + ct.id() + ": " + index.describe()
                                + " has expression elements, which the check cannot follow to columns; verify by hand"
                                + " that the transformed columns keep it unique");
                    }
                }
            }
        }

        private void uniqueness(ColumnChain chain, UniqueIndex index) {
            Uniqueness u = chain.uniqueness();
            String weakest = Arrays.stream(chain.steps)
                    .filter(s -> s.uniqueness() == u)
                    .map(s -> "'" + s.name() + "'")
                    .distinct()
                    .collect(Collectors.joining(", "));
            switch (u) {
                case NONE -> {
                    if (chain.rule.allowUniquenessLoss()) {
                        notes.add(chain.where + ": " + index.describe() + " is covered by transformer " + weakest
                                + ", which may map distinct values alike; allowed by allow_uniqueness_loss");
                    } else {
                        problems.error(chain.where + ": " + index.describe() + " needs distinct values, but"
                                + " transformer " + weakest + " may map distinct values alike, so the target would"
                                + " reject duplicates. Use a collision-free transformer" + collisionFree()
                                + ", or set allow_uniqueness_loss: true if the target does not enforce the index");
                    }
                }
                case PRACTICAL ->
                    notes.add(chain.where + ": " + index.describe() + ": transformer " + weakest
                            + " keeps values distinct in practice (a keyed hash over a large space), not by"
                            + " construction");
                case GUARANTEED -> {}
            }
        }

        /** Names of collision-free transformers the registry has, for suggestions. */
        private String collisionFree() {
            List<String> names = registry.names().stream()
                    .filter(n -> n.contains("fpe") || n.contains("encrypt") || n.contains("unique"))
                    .toList();
            return names.isEmpty() ? "" : " (" + String.join(", ", names) + ")";
        }

        private Summary summary() {
            SortedMap<String, Integer> used = new TreeMap<>();
            int columns = 0;
            int noop = 0;
            for (TableRules t : rules.tables()) {
                for (ColumnRule c : t.columns().values()) {
                    columns++;
                    if (c.isNoop()) {
                        noop++;
                    }
                    c.steps().forEach(s -> used.merge(s.name(), 1, Integer::sum));
                }
            }
            int replicatedTables = -1;
            int replicatedColumns = -1;
            int covered = -1;
            if (schema != null) {
                replicatedTables = schema.tables().size();
                replicatedColumns = 0;
                covered = 0;
                for (Table table : schema.tables().values()) {
                    Optional<TableRules> t = rules.table(table.id());
                    for (SourceSchema.Column column : table.columns()) {
                        replicatedColumns++;
                        if (t.isPresent() && t.get().columns().containsKey(column.name())) {
                            covered++;
                        }
                    }
                }
            }
            return new Summary(
                    rules.tables().size(), columns, noop, used, replicatedTables, replicatedColumns, covered);
        }
    }
}
