package dev.sluice.transform.builtin;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.transform.TransformerContext;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a column's type (as PostgreSQL's {@code format_type} names it) means for a transformer: a
 * transformer refuses, at start-up, a column whose type it can never handle (an email transformer
 * on an integer column). Types it cannot classify (enums, domains, extension types) are let
 * through: the values themselves are checked.
 */
final class ColumnTypes {

    enum Kind {
        TEXT("text, varchar, char, citext"),
        INTEGER("smallint, integer, bigint"),
        NUMERIC("numeric"),
        FLOAT("real, double precision"),
        BOOLEAN("boolean"),
        DATE("date"),
        TIMESTAMP("timestamp"),
        TIMESTAMPTZ("timestamptz"),
        UUID("uuid"),
        JSON("json, jsonb"),
        BYTEA("bytea"),
        INET("inet, cidr"),
        OTHER("");

        final String names;

        Kind(String names) {
            this.names = names;
        }
    }

    private static final Map<String, Kind> KINDS = Map.ofEntries(
            Map.entry("text", Kind.TEXT),
            Map.entry("character varying", Kind.TEXT),
            Map.entry("varchar", Kind.TEXT),
            Map.entry("character", Kind.TEXT),
            Map.entry("char", Kind.TEXT),
            Map.entry("bpchar", Kind.TEXT),
            Map.entry("citext", Kind.TEXT),
            Map.entry("name", Kind.TEXT),
            Map.entry("smallint", Kind.INTEGER),
            Map.entry("integer", Kind.INTEGER),
            Map.entry("bigint", Kind.INTEGER),
            Map.entry("int2", Kind.INTEGER),
            Map.entry("int4", Kind.INTEGER),
            Map.entry("int8", Kind.INTEGER),
            Map.entry("int", Kind.INTEGER),
            Map.entry("smallserial", Kind.INTEGER),
            Map.entry("serial", Kind.INTEGER),
            Map.entry("bigserial", Kind.INTEGER),
            Map.entry("numeric", Kind.NUMERIC),
            Map.entry("decimal", Kind.NUMERIC),
            Map.entry("real", Kind.FLOAT),
            Map.entry("double precision", Kind.FLOAT),
            Map.entry("float4", Kind.FLOAT),
            Map.entry("float8", Kind.FLOAT),
            Map.entry("boolean", Kind.BOOLEAN),
            Map.entry("bool", Kind.BOOLEAN),
            Map.entry("date", Kind.DATE),
            Map.entry("timestamp", Kind.TIMESTAMP),
            Map.entry("timestamp without time zone", Kind.TIMESTAMP),
            Map.entry("timestamp with time zone", Kind.TIMESTAMPTZ),
            Map.entry("timestamptz", Kind.TIMESTAMPTZ),
            Map.entry("uuid", Kind.UUID),
            Map.entry("json", Kind.JSON),
            Map.entry("jsonb", Kind.JSON),
            Map.entry("bytea", Kind.BYTEA),
            Map.entry("inet", Kind.INET),
            Map.entry("cidr", Kind.INET));

    static final Set<Kind> TEXT = EnumSet.of(Kind.TEXT);
    static final Set<Kind> INTEGERS = EnumSet.of(Kind.INTEGER, Kind.NUMERIC, Kind.TEXT);
    static final Set<Kind> NUMBERS = EnumSet.of(Kind.INTEGER, Kind.NUMERIC, Kind.FLOAT, Kind.TEXT);
    static final Set<Kind> DATES = EnumSet.of(Kind.DATE, Kind.TIMESTAMP, Kind.TIMESTAMPTZ, Kind.TEXT);

    private ColumnTypes() {}

    static boolean isArray(String type) {
        return type.strip().endsWith("[]");
    }

    static String elementType(String type) {
        String t = type.strip();
        while (t.endsWith("[]")) {
            t = t.substring(0, t.length() - 2).strip();
        }
        return t;
    }

    private static final java.util.regex.Pattern LENGTH = java.util.regex.Pattern.compile(
            "(?i)\\s*(character varying|varchar|character|char|bpchar)\\s*\\(\\s*(\\d+)\\s*\\)\\s*");

    /** The declared length of a {@code varchar(n)} or {@code char(n)} column, or -1. */
    static int maxLength(String type) {
        if (type == null) {
            return -1;
        }
        java.util.regex.Matcher m = LENGTH.matcher(type);
        return m.matches() ? Integer.parseInt(m.group(2)) : -1;
    }

    /** The kind of a type name, {@link Kind#OTHER} for null and anything not classified. */
    static Kind kind(String type) {
        if (type == null) {
            return Kind.OTHER;
        }
        String t = type.strip().toLowerCase(Locale.ROOT);
        if (t.endsWith("[]")) {
            return Kind.OTHER;
        }
        t = t.replaceAll("\\([^)]*\\)", "")
                .replace("\"", "")
                .replaceAll("\\s+", " ")
                .strip();
        int dot = t.lastIndexOf('.');
        if (dot >= 0 && (t.startsWith("pg_catalog.") || t.startsWith("public."))) {
            t = t.substring(dot + 1);
        }
        return KINDS.getOrDefault(t, Kind.OTHER);
    }

    /**
     * Refuses a column whose type the transformer cannot handle; types Sluice does not classify
     * pass (their values are checked one by one).
     */
    static void require(TransformerContext context, String transformer, Set<Kind> allowed) {
        Kind kind = kind(context.type());
        if (kind == Kind.OTHER || allowed.contains(kind)) {
            return;
        }
        String expected = allowed.stream().map(k -> k.names).collect(Collectors.joining("; "));
        throw new SluiceException(
                Reason.CONFIG,
                context.parameters().where() + ": transformer '" + transformer + "' does not fit column "
                        + context.column() + " of type " + context.type() + " (it takes " + expected + ")");
    }

    static void require(TransformerContext context, String transformer, Kind first, Kind... more) {
        EnumSet<Kind> set = EnumSet.of(first);
        set.addAll(Arrays.asList(more));
        require(context, transformer, set);
    }
}
