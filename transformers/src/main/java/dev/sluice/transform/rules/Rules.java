package dev.sluice.transform.rules;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@code transform.yaml} as written: pgstream's rule format, which loads unchanged, plus Sluice's
 * extensions (chains, domains, {@code null:}, per-column {@code on_error}). Structure only; names,
 * parameters and coverage are checked when the rules are compiled ({@link CompiledRules}).
 *
 * <pre>{@code
 * transformations:
 *   validation_mode: strict          # strict | relaxed (default, as pgstream) | table_level
 *   on_error: fail                   # fail (default) | null | pass-through
 *   table_transformers:
 *     - schema: public               # default public
 *       table: users
 *       validation_mode: strict      # only, and always, under table_level
 *       column_transformers:
 *         id: noop
 *         email:
 *           name: neosync_email
 *           parameters: {preserve_domain: true}
 *           domain: people           # key scope; default "default"
 *           null: keep               # keep (default) | transform
 *           on_error: null           # overrides the file's
 *           allow_uniqueness_loss: false
 *         phone:                     # a chain: each step gets the previous one's output
 *           - name: regex_replace
 *             parameters: {pattern: '[^0-9]', replacement: ''}
 *           - name: phone_number
 *         name:
 *           name: greenmask_firstname
 *           dynamic_parameters:      # a parameter taken from another column of the row
 *             gender: {column: sex}
 * }</pre>
 *
 * @param origin the file name, as messages show it
 * @param onError the file's {@code on_error}; columns may override it
 */
public record Rules(String origin, ValidationMode validationMode, OnError onError, List<TableRules> tables) {

    /** The default key scope: equal values map alike in every column that does not name another. */
    public static final String DEFAULT_DOMAIN = "default";

    public Rules {
        tables = List.copyOf(tables);
    }

    /**
     * The rules of one table.
     *
     * @param mode {@code STRICT} or {@code RELAXED}: the table's own under {@code table_level}, else
     *     the file's
     * @param columns by column name, in file order
     */
    public record TableRules(TableId table, int line, ValidationMode mode, Map<String, ColumnRule> columns) {
        public TableRules {
            columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        }
    }

    /**
     * One column's rule: a chain of one or more steps, each fed the previous one's output.
     *
     * @param allowUniquenessLoss pgstream's override: a transformer that may map distinct values
     *     alike is allowed on a column under a unique index
     */
    public record ColumnRule(
            String column, int line, List<Step> steps, NullPolicy nulls, OnError onError, boolean allowUniquenessLoss) {
        public ColumnRule {
            steps = List.copyOf(steps);
        }

        /** Whether the column passes through unchanged: every step is {@code noop}. */
        public boolean isNoop() {
            return steps.stream().allMatch(s -> s.name().equals(NOOP));
        }
    }

    /**
     * One transformer of a chain.
     *
     * @param parameters as parsed (strings, numbers, booleans, lists, maps)
     * @param dynamicParameters parameter name to the column of the same row its value comes from
     * @param domain the key scope this step's transformer draws from
     */
    public record Step(
            String name,
            int line,
            Map<String, Object> parameters,
            Map<String, String> dynamicParameters,
            String domain) {
        public Step {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
            dynamicParameters = Map.copyOf(dynamicParameters);
        }
    }

    /** The transformer that passes values through; pgstream's empty name means the same. */
    public static final String NOOP = "noop";

    /** Reads and parses a rules file. */
    public static Rules load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new SluiceException(Reason.CONFIG, "Transformation rules file " + file + " does not exist.");
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.CONFIG, "Cannot read transformation rules file " + file + ": " + e.getMessage(), e);
        }
        return parse(file.getFileName().toString(), text);
    }

    /**
     * Parses rules; every structural problem of the file is reported in one exception, each line
     * naming file and line (and table and column where there is one).
     *
     * @param origin the file name, for messages
     */
    public static Rules parse(String origin, String yaml) {
        return new RulesParser(origin).parse(YamlTree.parse(origin, yaml));
    }

    /** The rules of one table, if any. */
    public Optional<TableRules> table(TableId id) {
        return tables.stream().filter(t -> t.table().equals(id)).findFirst();
    }
}
