package dev.sluice.transform.rules;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.Tuple;
import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.Rules.ColumnRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One column's compiled chain: its transformers built once, its NULL and error policies. Immutable
 * apart from the caches of dynamic steps; thread-safe.
 */
final class ColumnChain {

    private static final Logger log = LoggerFactory.getLogger(ColumnChain.class);

    final TableId table;
    final ColumnRule rule;
    final Step[] steps;
    /** {@code transform.yaml:12}, the rule's place. */
    final String location;
    /** {@code transform.yaml:12: table public.users, column 'email'}, for messages. */
    final String where;

    private final AtomicBoolean warned = new AtomicBoolean();

    ColumnChain(TableId table, ColumnRule rule, List<Step> steps, String location) {
        this.table = table;
        this.rule = rule;
        this.steps = steps.toArray(Step[]::new);
        this.location = location;
        this.where = location + ": table " + table + ", column '" + rule.column() + "'";
    }

    String column() {
        return rule.column();
    }

    boolean isNoop() {
        return rule.isNoop();
    }

    /** The weakest promise of the chain's steps: a chain is as collision-free as its weakest link. */
    Uniqueness uniqueness() {
        Uniqueness weakest = Uniqueness.GUARANTEED;
        for (Step s : steps) {
            if (s.uniqueness().compareTo(weakest) < 0) {
                weakest = s.uniqueness();
            }
        }
        return weakest;
    }

    /** The columns dynamic parameters read, in step order. */
    List<String> sourceColumns() {
        List<String> columns = new ArrayList<>();
        for (Step s : steps) {
            if (s instanceof DynamicStep d) {
                columns.addAll(d.columns);
            }
        }
        return columns;
    }

    /**
     * Runs the chain over one non-null value, applying the column's {@code on_error} when a step
     * fails.
     *
     * @param dynamic per step, the positions in {@code row} of the columns its dynamic parameters
     *     read ({@code null} for a step without any)
     */
    String apply(String value, Tuple row, int[][] dynamic, Anonymizer.Stats stats) {
        String v = value;
        int s = 0;
        try {
            for (; s < steps.length; s++) {
                v = steps[s].transformer(row, dynamic[s]).apply(v);
                if (v == null) {
                    return null;
                }
            }
            return v;
        } catch (RuntimeException e) {
            return failed(s, e, value, stats);
        }
    }

    private String failed(int step, RuntimeException e, String original, Anonymizer.Stats stats) {
        String problem = "cannot transform table " + table + ", column '" + column() + "' with transformer '"
                + steps[step].name() + "'"
                + (steps.length > 1 ? " (step " + (step + 1) + " of " + steps.length + ")" : "")
                + ": " + describe(e) + ". The value is not shown, as it may be personal data";
        switch (rule.onError()) {
            case FAIL ->
                throw new SluiceException(
                        Reason.TRANSFORM,
                        Character.toUpperCase(problem.charAt(0)) + problem.substring(1) + ". Fix the rule ("
                                + location + "), or set on_error: null on the column"
                                + " to write NULL for such values.");
            case NULL -> {
                stats.nulled.increment();
                if (warned.compareAndSet(false, true)) {
                    log.warn(
                            "{}; on_error: null writes NULL instead (counted in sluice_transform_errors; this is"
                                    + " logged once per column)",
                            problem);
                }
                return null;
            }
            case PASS_THROUGH -> {
                stats.passedThrough.increment();
                if (warned.compareAndSet(false, true)) {
                    log.warn(
                            "{}; on_error: pass-through writes the ORIGINAL value to the target (counted; logged once"
                                    + " per column)",
                            problem);
                }
                return original;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** What went wrong, without the value: only a TransformException's message is known to omit it. */
    private static String describe(RuntimeException e) {
        if (e instanceof TransformException) {
            return e.getMessage();
        }
        if (e instanceof DynamicStep.Unbuildable u) {
            return u.getMessage();
        }
        // Messages of other exceptions (NumberFormatException, say) often quote their input.
        return "unexpected " + e.getClass().getSimpleName() + " (its message is withheld, as it may quote the value)";
    }

    /** One transformer of the chain. */
    sealed interface Step permits StaticStep, DynamicStep {
        String name();

        Uniqueness uniqueness();

        /** The transformer for this row; {@code positions} locate the dynamic parameters' columns. */
        Transformer transformer(Tuple row, int[] positions);
    }

    /** A transformer built once at start-up. */
    record StaticStep(String name, Transformer transformer) implements Step {
        @Override
        public Uniqueness uniqueness() {
            return transformer.uniqueness();
        }

        @Override
        public Transformer transformer(Tuple row, int[] positions) {
            return transformer;
        }
    }

    /**
     * A transformer with parameters taken from other columns of the row (pgstream's {@code
     * dynamic_parameters}): built once per distinct combination of those values and cached, so
     * that a column such as {@code gender} or {@code country_code} costs a map lookup per row.
     */
    static final class DynamicStep implements Step {

        /** More distinct combinations than this means the parameter column is not a small set. */
        static final int MAX_VARIANTS = 10_000;

        private final String name;
        private final TransformerFactory factory;
        private final String column;
        private final String type;
        private final String where;
        private final Map<String, Object> parameters;
        final List<String> parameterNames;
        final List<String> columns;
        private final DomainKey key;
        private final Uniqueness uniqueness;
        private final Map<List<String>, Transformer> variants = new ConcurrentHashMap<>();

        DynamicStep(
                String name,
                TransformerFactory factory,
                String column,
                String type,
                String where,
                Map<String, Object> parameters,
                Map<String, String> dynamic,
                DomainKey key,
                Uniqueness uniqueness) {
            this.name = name;
            this.factory = factory;
            this.column = column;
            this.type = type;
            this.where = where;
            this.parameters = parameters;
            this.parameterNames = List.copyOf(dynamic.keySet());
            this.columns = parameterNames.stream().map(dynamic::get).toList();
            this.key = key;
            this.uniqueness = uniqueness;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Uniqueness uniqueness() {
            return uniqueness;
        }

        @Override
        public Transformer transformer(Tuple row, int[] positions) {
            List<String> values = new ArrayList<>(positions.length);
            for (int i = 0; i < positions.length; i++) {
                int p = positions[i];
                if (row.isUnchangedToast(p)) {
                    throw new Unbuildable("parameter '" + parameterNames.get(i) + "' comes from column '"
                            + columns.get(i) + "', whose value this change does not carry (unchanged TOAST)");
                }
                values.add(row.get(p));
            }
            Transformer t = variants.get(values);
            if (t != null) {
                return t;
            }
            if (variants.size() >= MAX_VARIANTS) {
                throw new Unbuildable("the columns of its dynamic parameters (" + String.join(", ", columns)
                        + ") hold more than " + MAX_VARIANTS + " distinct values; dynamic parameters are for small"
                        + " sets such as a gender or a country code");
            }
            t = build(values);
            Transformer raced = variants.putIfAbsent(values, t);
            return raced == null ? t : raced;
        }

        private Transformer build(List<String> values) {
            Map<String, Object> merged = new LinkedHashMap<>(parameters);
            for (int i = 0; i < values.size(); i++) {
                if (values.get(i) != null) {
                    merged.put(parameterNames.get(i), values.get(i));
                }
            }
            try {
                return factory.create(new TransformerContext(column, type, new Parameters(where, name, merged), key));
            } catch (RuntimeException e) {
                // The factory's message would quote the value taken from the row.
                throw new Unbuildable("the transformer refused the value of its dynamic parameter(s) "
                        + String.join(", ", parameterNames) + " taken from column(s) " + String.join(", ", columns)
                        + " (" + e.getClass().getSimpleName() + ")");
            }
        }

        /** The transformer of a dynamic step could not be made for this row's parameter values. */
        static final class Unbuildable extends RuntimeException {
            private static final long serialVersionUID = 1L;

            Unbuildable(String message) {
                super(message, null, false, false);
            }
        }
    }
}
