package dev.sluice.transform.rules;

import dev.sluice.core.TableId;
import dev.sluice.transform.rules.Rules.ColumnRule;
import dev.sluice.transform.rules.Rules.Step;
import dev.sluice.transform.rules.Rules.TableRules;
import dev.sluice.transform.rules.YamlTree.Entry;
import dev.sluice.transform.rules.YamlTree.ListNode;
import dev.sluice.transform.rules.YamlTree.MapNode;
import dev.sluice.transform.rules.YamlTree.Node;
import dev.sluice.transform.rules.YamlTree.Scalar;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Turns the YAML tree of a rules file into {@link Rules}, collecting every structural problem. */
final class RulesParser {

    private static final Set<String> ROOT_KEYS = Set.of("transformations");
    private static final Set<String> TRANSFORMATIONS_KEYS = Set.of(
            "validation_mode", "on_error", "table_transformers", "infer_from_security_labels", "dump_inferred_rules");
    private static final Set<String> TABLE_KEYS = Set.of("schema", "table", "validation_mode", "column_transformers");
    private static final Set<String> STEP_KEYS = Set.of("name", "parameters", "dynamic_parameters", "domain");
    private static final Set<String> COLUMN_KEYS = Set.of(
            "name", "parameters", "dynamic_parameters", "domain", "chain", "null", "on_error", "allow_uniqueness_loss");

    private final String origin;
    private final Problems problems;

    RulesParser(String origin) {
        this.origin = origin;
        this.problems = new Problems(origin);
    }

    Rules parse(Node root) {
        Rules rules = rules(root);
        problems.throwIfAny();
        return rules;
    }

    private Rules rules(Node root) {
        MapNode top = map(root, "the file", "a mapping with 'transformations:' at the top (pgstream's rule format)");
        if (top == null) {
            return empty();
        }
        knownKeys(top, ROOT_KEYS, "", " at the top of the file");
        Entry transformations = top.entries().get("transformations");
        if (transformations == null) {
            problems.error(top.line(), "expected 'transformations:' at the top (pgstream's rule format)");
            return empty();
        }
        MapNode t = map(transformations.value(), "'transformations'", "a mapping");
        if (t == null) {
            return empty();
        }
        knownKeys(t, TRANSFORMATIONS_KEYS, "", " under 'transformations'");
        ValidationMode mode = validationMode(t.entries().get("validation_mode"), false);
        OnError onError = onError(t.entries().get("on_error"), OnError.FAIL, "");
        Entry infer = t.entries().get("infer_from_security_labels");
        if (infer != null && Boolean.TRUE.equals(bool(infer, ""))) {
            problems.error(
                    infer.line(),
                    "infer_from_security_labels: true is not supported; write the rules out (`sluice scan`"
                            + " proposes them)");
        }
        Entry dump = t.entries().get("dump_inferred_rules");
        if (dump != null) {
            bool(dump, "");
        }
        Entry tablesEntry = t.entries().get("table_transformers");
        if (tablesEntry == null) {
            problems.error(t.line(), "'transformations' needs 'table_transformers:' (a list of tables, may be [])");
            return new Rules(origin, mode, onError, List.of());
        }
        List<TableRules> tables = new ArrayList<>();
        Map<TableId, Integer> seen = new HashMap<>();
        if (tablesEntry.value() instanceof Scalar s && s.value() == null) {
            return new Rules(origin, mode, onError, tables);
        }
        if (!(tablesEntry.value() instanceof ListNode list)) {
            problems.error(
                    tablesEntry.line(),
                    "'table_transformers' must be a list of tables ('- schema: ...'), found "
                            + tablesEntry.value().kind());
            return new Rules(origin, mode, onError, tables);
        }
        for (Node item : list.items()) {
            TableRules table = table(item, mode, onError);
            if (table == null) {
                continue;
            }
            Integer first = seen.putIfAbsent(table.table(), table.line());
            if (first != null) {
                problems.error(
                        table.line(),
                        "table " + table.table() + " is listed twice (first at line " + first
                                + "); put all its columns in one entry");
                continue;
            }
            tables.add(table);
        }
        return new Rules(origin, mode, onError, tables);
    }

    private Rules empty() {
        return new Rules(origin, ValidationMode.RELAXED, OnError.FAIL, List.of());
    }

    private TableRules table(Node node, ValidationMode global, OnError fileOnError) {
        MapNode m = map(node, "a table entry", "a mapping with schema, table and column_transformers");
        if (m == null) {
            return null;
        }
        String schema = text(m.entries().get("schema"), "public", "schema");
        String name = text(m.entries().get("table"), null, "table");
        if (name == null) {
            knownKeys(m, TABLE_KEYS, "", " in a table entry");
            problems.error(m.line(), "a table entry needs 'table:' (and 'schema:', default public)");
            return null;
        }
        TableId id = new TableId(schema, name);
        String context = "table " + id + ": ";
        knownKeys(m, TABLE_KEYS, context, "");
        Entry modeEntry = m.entries().get("validation_mode");
        ValidationMode mode;
        if (global == ValidationMode.TABLE_LEVEL) {
            if (modeEntry == null) {
                problems.error(
                        m.line(),
                        context + "validation_mode is table_level, so each table needs its own validation_mode"
                                + " (strict or relaxed)");
                mode = ValidationMode.STRICT;
            } else {
                mode = validationMode(modeEntry, true);
            }
        } else {
            if (modeEntry != null) {
                problems.error(
                        modeEntry.line(),
                        context + "a table's own validation_mode needs 'validation_mode: table_level' under"
                                + " 'transformations' (it is " + global.word() + ")");
            }
            mode = global;
        }
        Map<String, ColumnRule> columns = new LinkedHashMap<>();
        Entry columnsEntry = m.entries().get("column_transformers");
        if (columnsEntry != null && !(columnsEntry.value() instanceof Scalar s && s.value() == null)) {
            MapNode cm = map(columnsEntry.value(), context + "'column_transformers'", "a mapping of column to rule");
            if (cm != null) {
                for (Entry column : cm.entries().values()) {
                    ColumnRule rule = column(id, column, fileOnError);
                    if (rule != null) {
                        columns.put(column.key(), rule);
                    }
                }
            }
        }
        return new TableRules(id, m.line(), mode, columns);
    }

    private ColumnRule column(TableId table, Entry entry, OnError fileOnError) {
        String context = "table " + table + ", column '" + entry.key() + "': ";
        int line = entry.line();
        Node value = entry.value();
        switch (value) {
            case Scalar s
            when s.value() == null -> {
                // pgstream: a rule with no transformer passes the column through.
                return new ColumnRule(entry.key(), line, List.of(noop(line)), NullPolicy.KEEP, fileOnError, false);
            }
            case Scalar s
            when s.value() instanceof String name -> {
                return new ColumnRule(
                        entry.key(), line, List.of(step(name, line)), NullPolicy.KEEP, fileOnError, false);
            }
            case ListNode list -> {
                List<Step> steps = chain(context, list, Rules.DEFAULT_DOMAIN);
                return steps == null
                        ? null
                        : new ColumnRule(entry.key(), line, steps, NullPolicy.KEEP, fileOnError, false);
            }
            case MapNode m -> {
                return columnMap(entry.key(), line, context, m, fileOnError);
            }
            case Scalar s -> {
                problems.error(
                        value.line(),
                        context + "expected a transformer: a name, a mapping with 'name:', or a list of them (a"
                                + " chain); found " + s.kind());
                return null;
            }
        }
    }

    private ColumnRule columnMap(String column, int line, String context, MapNode m, OnError fileOnError) {
        knownKeys(m, COLUMN_KEYS, context, "");
        Map<String, Entry> e = m.entries();
        NullPolicy nulls = NullPolicy.KEEP;
        Entry nullEntry = e.get("null");
        if (nullEntry != null) {
            String word = word(nullEntry);
            switch (word) {
                case "keep" -> nulls = NullPolicy.KEEP;
                case "transform" -> nulls = NullPolicy.TRANSFORM;
                default ->
                    problems.error(
                            nullEntry.line(),
                            context + "null: '" + word + "' is not allowed (expected keep or transform)");
            }
        }
        OnError onError = onError(e.get("on_error"), fileOnError, context);
        boolean allowLoss = Boolean.TRUE.equals(bool(e.get("allow_uniqueness_loss"), context));
        String domain = e.containsKey("domain") ? text(e.get("domain"), Rules.DEFAULT_DOMAIN, "domain") : null;
        Entry chainEntry = e.get("chain");
        List<Step> steps;
        if (chainEntry != null) {
            for (String single : List.of("name", "parameters", "dynamic_parameters")) {
                if (e.containsKey(single)) {
                    problems.error(
                            e.get(single).line(),
                            context + "'" + single + "' goes inside each step of 'chain', not beside it");
                }
            }
            if (!(chainEntry.value() instanceof ListNode list)) {
                problems.error(
                        chainEntry.line(),
                        context + "'chain' must be a list of transformers, found "
                                + chainEntry.value().kind());
                return null;
            }
            steps = chain(context, list, domain == null ? Rules.DEFAULT_DOMAIN : domain);
        } else {
            Step step = stepFromMap(context, m, domain == null ? Rules.DEFAULT_DOMAIN : domain);
            steps = step == null ? null : List.of(step);
        }
        return steps == null ? null : new ColumnRule(column, line, steps, nulls, onError, allowLoss);
    }

    private List<Step> chain(String context, ListNode list, String defaultDomain) {
        if (list.items().isEmpty()) {
            problems.error(list.line(), context + "an empty chain; write noop to pass the column through");
            return null;
        }
        List<Step> steps = new ArrayList<>();
        boolean ok = true;
        for (Node item : list.items()) {
            Step step = switch (item) {
                case Scalar s
                when s.value() instanceof String name ->
                    new Step(name.isEmpty() ? Rules.NOOP : name, s.line(), Map.of(), Map.of(), defaultDomain);
                case MapNode m -> {
                    knownKeys(m, STEP_KEYS, context, " in a step of the chain");
                    yield stepFromMap(context, m, defaultDomain);
                }
                default -> {
                    problems.error(
                            item.line(),
                            context + "each step of a chain is a transformer name or a mapping with 'name:',"
                                    + " found " + item.kind());
                    yield null;
                }
            };
            if (step == null) {
                ok = false;
            } else {
                steps.add(step);
            }
        }
        return ok ? steps : null;
    }

    private Step stepFromMap(String context, MapNode m, String defaultDomain) {
        Map<String, Entry> e = m.entries();
        String name = text(e.get("name"), "", "name");
        if (name.isEmpty()) {
            name = Rules.NOOP;
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        Entry p = e.get("parameters");
        if (p != null && !(p.value() instanceof Scalar s && s.value() == null)) {
            if (p.value() instanceof MapNode pm) {
                pm.entries().forEach((k, v) -> parameters.put(k, YamlTree.plain(v.value())));
            } else {
                problems.error(
                        p.line(),
                        context + "'parameters' must be a mapping of name to value, found "
                                + p.value().kind());
            }
        }
        Map<String, String> dynamic = new LinkedHashMap<>();
        Entry d = e.get("dynamic_parameters");
        if (d != null && !(d.value() instanceof Scalar s && s.value() == null)) {
            if (d.value() instanceof MapNode dm) {
                for (Entry param : dm.entries().values()) {
                    String column = dynamicColumn(context, param);
                    if (column != null) {
                        if (parameters.containsKey(param.key())) {
                            problems.error(
                                    param.line(),
                                    context + "parameter '" + param.key()
                                            + "' is given both in 'parameters' and in 'dynamic_parameters'");
                        }
                        dynamic.put(param.key(), column);
                    }
                }
            } else {
                problems.error(
                        d.line(),
                        context + "'dynamic_parameters' must be a mapping of parameter to {column: name}, found "
                                + d.value().kind());
            }
        }
        String domain = e.containsKey("domain") ? text(e.get("domain"), defaultDomain, "domain") : defaultDomain;
        if (domain.isBlank()) {
            problems.error(e.get("domain").line(), context + "'domain' must not be empty");
        }
        return new Step(name, m.line(), parameters, dynamic, domain);
    }

    /** pgstream's {@code param: {column: other_column}}. */
    private String dynamicColumn(String context, Entry param) {
        if (param.value() instanceof MapNode pm
                && pm.entries().size() == 1
                && pm.entries().get("column") instanceof Entry c
                && c.value() instanceof Scalar s
                && s.value() instanceof String column
                && !column.isEmpty()) {
            return column;
        }
        problems.error(
                param.line(),
                context + "dynamic parameter '" + param.key() + "' must be {column: <column of the same row>}");
        return null;
    }

    private static Step step(String name, int line) {
        return new Step(name.isEmpty() ? Rules.NOOP : name, line, Map.of(), Map.of(), Rules.DEFAULT_DOMAIN);
    }

    private static Step noop(int line) {
        return step(Rules.NOOP, line);
    }

    private ValidationMode validationMode(Entry entry, boolean tableLevel) {
        if (entry == null) {
            // pgstream's default.
            return ValidationMode.RELAXED;
        }
        String word = word(entry);
        for (ValidationMode mode : ValidationMode.values()) {
            if (mode.word().equals(word) && !(tableLevel && mode == ValidationMode.TABLE_LEVEL)) {
                return mode;
            }
        }
        problems.error(
                entry.line(),
                "validation_mode: '" + word + "' is not allowed (expected "
                        + (tableLevel ? "strict or relaxed" : "strict, relaxed or table_level") + ")");
        return ValidationMode.STRICT;
    }

    private OnError onError(Entry entry, OnError inherited, String context) {
        if (entry == null) {
            return inherited;
        }
        String word = word(entry);
        for (OnError policy : OnError.values()) {
            if (policy.word().equals(word)) {
                return policy;
            }
        }
        problems.error(
                entry.line(),
                context + "on_error: '" + word + "' is not allowed (expected fail, null or pass-through)");
        return OnError.FAIL;
    }

    /** A scalar as the word written, YAML's null included ({@code on_error: null}). */
    private String word(Entry entry) {
        if (entry.value() instanceof Scalar s) {
            return s.value() == null ? (s.text().isEmpty() ? "" : "null") : s.text();
        }
        problems.error(
                entry.line(),
                "'" + entry.key() + "' must be a single word, found "
                        + entry.value().kind());
        return "";
    }

    private Boolean bool(Entry entry, String context) {
        if (entry == null) {
            return null;
        }
        if (entry.value() instanceof Scalar s && s.value() instanceof Boolean b) {
            return b;
        }
        problems.error(
                entry.line(),
                context + "'" + entry.key() + "' must be true or false, found "
                        + entry.value().kind());
        return null;
    }

    private String text(Entry entry, String defaultValue, String what) {
        if (entry == null || (entry.value() instanceof Scalar s0 && s0.value() == null)) {
            return defaultValue;
        }
        if (entry.value() instanceof Scalar s) {
            return s.text();
        }
        problems.error(
                entry.line(),
                "'" + what + "' must be text, found " + entry.value().kind());
        return defaultValue;
    }

    private MapNode map(Node node, String what, String expected) {
        if (node instanceof MapNode m) {
            return m;
        }
        problems.error(node.line(), what + " must be " + expected + ", found " + node.kind());
        return null;
    }

    private void knownKeys(MapNode m, Set<String> known, String prefix, String where) {
        for (Entry e : m.entries().values()) {
            if (!known.contains(e.key())) {
                problems.error(
                        e.line(),
                        prefix + "unknown key '" + e.key() + "'" + where + " (known: "
                                + String.join(", ", known.stream().sorted().toList()) + Names.suggestion(e.key(), known)
                                + ")");
            }
        }
    }
}
