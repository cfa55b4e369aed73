package dev.sluice.pipeline.verify;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.core.TableId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code sluice verify} found, per transformed column: values compared, and how many of them
 * the target holds unchanged. Counts only, never a value.
 *
 * @param passedThrough columns the rules do not cover, which pass through unchanged (relaxed mode)
 * @param tolerancePercent the share of a column's values that may be found unchanged
 */
public record VerifyReport(List<ColumnResult> columns, List<String> passedThrough, double tolerancePercent) {

    /** The exit code of {@code sluice verify} when a column leaks. */
    public static final int EXIT_LEAK = 9;

    public VerifyReport {
        columns = List.copyOf(columns);
        passedThrough = List.copyOf(passedThrough);
    }

    /** How rows were matched. */
    public enum Mode {
        /** By the primary key, which passes through unchanged: the same row holds the same value. */
        ROW,
        /** As sets of values: a source value anywhere in the target's column. */
        VALUE
    }

    public enum Status {
        /** No source value found unchanged. */
        OK("ok"),
        /** Some found unchanged, and the column's rule keeps some values by design. */
        KEPT_BY_RULE("kept by rule"),
        /** Some found unchanged, no more than the tolerance allows. */
        TOLERATED("tolerated"),
        /** Source values found unchanged in the target. */
        LEAK("LEAK"),
        /** Not compared: the table or column is missing on the target. */
        SKIPPED("skipped");

        private final String word;

        Status(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * One column.
     *
     * @param rows non-null source values compared (array elements for arrays)
     * @param targetRows non-null target values
     * @param identical source values found unchanged in the target
     * @param identicalDistinct distinct values among them
     * @param note why a column was skipped, else {@code null}
     */
    public record ColumnResult(
            TableId table,
            String column,
            String transformers,
            Mode mode,
            long rows,
            long targetRows,
            long identical,
            long identicalDistinct,
            Status status,
            String note) {

        ColumnResult withStatus(Status s) {
            return new ColumnResult(
                    table, column, transformers, mode, rows, targetRows, identical, identicalDistinct, s, note);
        }
    }

    public boolean leaks() {
        return columns.stream().anyMatch(c -> c.status() == Status.LEAK);
    }

    /** 0, or {@link #EXIT_LEAK} when a column leaks. */
    public int exitCode() {
        return leaks() ? EXIT_LEAK : 0;
    }

    /** A table for a person. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(
                new String[] {"table", "column", "transformer", "compared", "values", "target", "unchanged", "status"});
        for (ColumnResult c : columns) {
            rows.add(new String[] {
                c.table().toString(),
                c.column(),
                c.transformers(),
                c.mode() == Mode.ROW ? "by row" : "by value",
                String.format(Locale.ROOT, "%,d", c.rows()),
                String.format(Locale.ROOT, "%,d", c.targetRows()),
                String.format(Locale.ROOT, "%,d", c.identical()),
                c.status().word() + (c.note() == null ? "" : " (" + c.note() + ")")
            });
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                boolean number = i >= 4 && i <= 6;
                String cell = number ? " ".repeat(width[i] - r[i].length()) + r[i] : r[i];
                b.append(cell);
                if (i < r.length - 1) {
                    b.append(number ? "" : " ".repeat(width[i] - r[i].length())).append("  ");
                }
            }
            b.append('\n');
        }
        return b.toString();
    }

    /** One line saying whether the target passed. */
    public String verdict() {
        long leaking = columns.stream().filter(c -> c.status() == Status.LEAK).count();
        long kept =
                columns.stream().filter(c -> c.status() == Status.KEPT_BY_RULE).count();
        long skipped =
                columns.stream().filter(c -> c.status() == Status.SKIPPED).count();
        StringBuilder b = new StringBuilder();
        if (leaking == 0) {
            b.append("No leak: no source value of the ")
                    .append(columns.size() - skipped)
                    .append(" transformed column(s) checked was found unchanged in the target");
        } else {
            b.append("LEAK: ")
                    .append(leaking)
                    .append(" of ")
                    .append(columns.size() - skipped)
                    .append(" transformed column(s) hold source values unchanged in the target: ");
            b.append(String.join(
                    ", ",
                    columns.stream()
                            .filter(c -> c.status() == Status.LEAK)
                            .map(c -> c.table() + "." + c.column() + " (" + c.identical() + " of " + c.rows() + ")")
                            .toList()));
        }
        if (kept > 0) {
            b.append("; ").append(kept).append(" column(s) keep some values by their rule");
        }
        if (skipped > 0) {
            b.append("; ").append(skipped).append(" column(s) not on the target were skipped");
        }
        b.append('.');
        if (!passedThrough.isEmpty()) {
            b.append("\nnote: not checked, the rules pass them through unchanged: ")
                    .append(String.join(", ", passedThrough));
        }
        return b.toString();
    }

    /** The report as JSON, for CI. */
    public String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("ok", !leaks());
        root.put("exit_code", exitCode());
        root.put("tolerance_percent", tolerancePercent);
        List<Map<String, Object>> cols = new ArrayList<>();
        for (ColumnResult c : columns) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("schema", c.table().schema());
            m.put("table", c.table().name());
            m.put("column", c.column());
            m.put("transformers", c.transformers());
            m.put("compared", c.mode() == Mode.ROW ? "row" : "value");
            m.put("values", c.rows());
            m.put("target_values", c.targetRows());
            m.put("unchanged", c.identical());
            m.put("unchanged_distinct", c.identicalDistinct());
            m.put("status", c.status().name().toLowerCase(Locale.ROOT));
            if (c.note() != null) {
                m.put("note", c.note());
            }
            cols.add(m);
        }
        root.put("columns", cols);
        root.put("passed_through", passedThrough);
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
