package dev.sluice.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** A table's schema-qualified name, as found on the source (unquoted). */
public record TableId(String schema, String name) implements Comparable<TableId> {

    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
    }

    /** The name as an SQL identifier pair, quoted so that any spelling round-trips. */
    public String quoted() {
        return quoteIdent(schema) + "." + quoteIdent(name);
    }

    /** Reads back what {@link #quoted()} wrote. */
    public static TableId parseQuoted(String quoted) {
        List<String> parts = new ArrayList<>(2);
        int i = 0;
        while (i < quoted.length()) {
            Preconditions.requireArgument(quoted.charAt(i) == '"', "not a quoted table name: %s", quoted);
            StringBuilder part = new StringBuilder();
            i++;
            while (true) {
                Preconditions.requireArgument(i < quoted.length(), "not a quoted table name: %s", quoted);
                char c = quoted.charAt(i++);
                if (c == '"') {
                    if (i < quoted.length() && quoted.charAt(i) == '"') {
                        part.append('"');
                        i++;
                        continue;
                    }
                    break;
                }
                part.append(c);
            }
            parts.add(part.toString());
            if (i < quoted.length()) {
                Preconditions.requireArgument(quoted.charAt(i) == '.', "not a quoted table name: %s", quoted);
                i++;
            }
        }
        Preconditions.requireArgument(parts.size() == 2, "not a quoted table name: %s", quoted);
        return new TableId(parts.get(0), parts.get(1));
    }

    /** Quotes an SQL identifier, doubling embedded quotes. */
    public static String quoteIdent(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    @Override
    public int compareTo(TableId other) {
        int c = schema.compareTo(other.schema);
        return c != 0 ? c : name.compareTo(other.name);
    }

    @Override
    public String toString() {
        return schema + "." + name;
    }
}
