package dev.sluice.pipeline.scan;

import dev.sluice.pipeline.scan.ScanResult.ColumnScan;
import dev.sluice.pipeline.scan.ScanResult.TableScan;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Writes a scan's proposal as a strict {@code transform.yaml} (pgstream's format), a comment above
 * each flagged column saying why. Written by hand rather than by a YAML library, which would drop
 * the comments.
 */
final class RulesWriter {

    private static final Pattern PLAIN = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Set<String> YAML_WORDS =
            Set.of("true", "false", "yes", "no", "on", "off", "null", "y", "n", "~");

    private RulesWriter() {}

    static String write(ScanResult scan) {
        StringBuilder b = new StringBuilder();
        b.append("# Anonymization rules proposed by `sluice scan` for ")
                .append(scan.source())
                .append(" (tables: ")
                .append(scan.filter())
                .append("),\n");
        b.append("# from up to ").append(scan.sampleRows()).append(" sampled rows per table. Review before use:\n");
        b.append("# a comment above each transformed column says why it was flagged; noop passes a column through\n");
        b.append("# unchanged. Strict mode: every replicated column needs a rule, and a column added later is\n");
        b.append("# replicated as NULL until one covers it. Check with `sluice validate --transform FILE"
                + " --source-url URL`.\n");
        b.append("transformations:\n");
        b.append("  validation_mode: strict\n");
        b.append("  on_error: fail\n");
        if (scan.tables().isEmpty()) {
            b.append("  table_transformers: []\n");
            return b.toString();
        }
        b.append("  table_transformers:\n");
        for (TableScan t : scan.tables()) {
            b.append("    - schema: ").append(scalar(t.id().schema())).append('\n');
            b.append("      table: ").append(scalar(t.id().name())).append('\n');
            b.append("      # ")
                    .append(t.sample().rows())
                    .append(" row(s) sampled: ")
                    .append(oneLine(t.sample().method()))
                    .append('\n');
            if (t.columns().isEmpty()) {
                b.append("      column_transformers: {}\n");
                continue;
            }
            b.append("      column_transformers:\n");
            for (ColumnScan c : t.columns()) {
                if (c.comment() != null) {
                    b.append("        # ").append(oneLine(c.comment())).append('\n');
                }
                b.append("        ").append(scalar(c.name())).append(':');
                if (c.proposal().parameters().isEmpty()) {
                    b.append(' ').append(scalar(c.proposal().transformer())).append('\n');
                } else {
                    b.append('\n');
                    b.append("          name: ")
                            .append(scalar(c.proposal().transformer()))
                            .append('\n');
                    b.append("          parameters:");
                    value(b, c.proposal().parameters(), 12);
                }
            }
        }
        return b.toString();
    }

    /** Writes a value after a key's colon: a scalar on the same line, or a block below it. */
    private static void value(StringBuilder b, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                b.append(" {}\n");
                return;
            }
            b.append('\n');
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(" ".repeat(indent))
                        .append(scalar(String.valueOf(e.getKey())))
                        .append(':');
                value(b, e.getValue(), indent + 2);
            }
        } else if (v instanceof List<?> list) {
            if (list.isEmpty()) {
                b.append(" []\n");
                return;
            }
            b.append('\n');
            for (Object item : list) {
                b.append(" ".repeat(indent)).append("- ");
                if (item instanceof Map<?, ?> m && !m.isEmpty()) {
                    boolean first = true;
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        if (!first) {
                            b.append(" ".repeat(indent + 2));
                        }
                        b.append(scalar(String.valueOf(e.getKey()))).append(':');
                        value(b, e.getValue(), indent + 4);
                        first = false;
                    }
                } else {
                    b.append(scalarValue(item)).append('\n');
                }
            }
        } else {
            b.append(' ').append(scalarValue(v)).append('\n');
        }
    }

    private static String scalarValue(Object v) {
        if (v instanceof Number || v instanceof Boolean) {
            return String.valueOf(v);
        }
        return scalar(String.valueOf(v));
    }

    /** A word as is; anything else single-quoted, so YAML reads it back as the same text. */
    static String scalar(String s) {
        if (PLAIN.matcher(s).matches() && !YAML_WORDS.contains(s.toLowerCase(Locale.ROOT))) {
            return s;
        }
        return "'" + s.replace("'", "''") + "'";
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }
}
