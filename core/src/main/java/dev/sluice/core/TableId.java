package dev.sluice.core;

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
