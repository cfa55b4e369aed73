package dev.sluice.pipeline.scan;

/**
 * A column's type as far as personal data goes: what its values can be, whether it is an array,
 * and the length limit of {@code varchar(n)} and {@code char(n)}.
 *
 * @param declared the type as PostgreSQL prints it ({@code format_type}), for messages
 * @param category of the type, or of the element type for an array, domains resolved to their base
 * @param maxLength the declared length limit, or -1 for none
 */
record ColumnType(String declared, Category category, boolean array, int maxLength) {

    enum Category {
        TEXT,
        INTEGER,
        NUMERIC,
        FLOAT,
        BOOLEAN,
        DATE,
        TIMESTAMP,
        TIME,
        INET,
        UUID,
        JSON,
        BYTEA,
        ENUM,
        /** Anything else: geometry, ranges, composite types, extension types. */
        OTHER
    }

    /**
     * The category of a base type.
     *
     * @param typname {@code pg_type.typname} of the base type (domains resolved)
     * @param typtype {@code pg_type.typtype}: {@code e} for enums
     * @param typcategory {@code pg_type.typcategory}: {@code S} for strings
     */
    static Category categorize(String typname, String typtype, String typcategory) {
        if ("e".equals(typtype)) {
            return Category.ENUM;
        }
        return switch (typname) {
            case "text", "varchar", "bpchar", "name", "citext", "char" -> Category.TEXT;
            case "int2", "int4", "int8" -> Category.INTEGER;
            case "numeric" -> Category.NUMERIC;
            case "float4", "float8", "money" -> Category.FLOAT;
            case "bool" -> Category.BOOLEAN;
            case "date" -> Category.DATE;
            case "timestamp", "timestamptz" -> Category.TIMESTAMP;
            case "time", "timetz", "interval" -> Category.TIME;
            case "inet", "cidr" -> Category.INET;
            case "uuid" -> Category.UUID;
            case "json", "jsonb" -> Category.JSON;
            case "bytea" -> Category.BYTEA;
            default -> "S".equals(typcategory) ? Category.TEXT : Category.OTHER;
        };
    }

    /** Whether values are sampled and looked at (text, whole numbers, network addresses, JSON), not just the name. */
    boolean sampled() {
        return switch (category) {
            case TEXT, INTEGER, NUMERIC, INET, JSON -> true;
            default -> false;
        };
    }

    /** Whether the column holds text (text, varchar, char, citext, and domains over them). */
    boolean textual() {
        return category == Category.TEXT;
    }

    boolean numeric() {
        return category == Category.INTEGER || category == Category.NUMERIC;
    }

    boolean temporal() {
        return category == Category.DATE || category == Category.TIMESTAMP;
    }
}
