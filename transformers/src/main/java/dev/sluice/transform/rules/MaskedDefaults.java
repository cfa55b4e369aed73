package dev.sluice.transform.rules;

import java.util.Map;

/**
 * What strict mode writes instead of the value of a NOT NULL column that has no rule: a fixed,
 * meaningless value of the column's type, since NULL would be refused. Keyed by type OID, in
 * PostgreSQL's text form.
 */
final class MaskedDefaults {

    private static final String ZERO = "0";
    private static final String EMPTY_ARRAY = "{}";

    private static final Map<Integer, String> BY_TYPE = Map.ofEntries(
            Map.entry(16, "false"), // bool
            Map.entry(17, "\\x"), // bytea
            Map.entry(18, " "), // char
            Map.entry(19, ""), // name
            Map.entry(20, ZERO), // int8
            Map.entry(21, ZERO), // int2
            Map.entry(23, ZERO), // int4
            Map.entry(25, ""), // text
            Map.entry(26, ZERO), // oid
            Map.entry(114, "{}"), // json
            Map.entry(650, "0.0.0.0/32"), // cidr
            Map.entry(700, ZERO), // float4
            Map.entry(701, ZERO), // float8
            Map.entry(790, ZERO), // money
            Map.entry(829, "00:00:00:00:00:00"), // macaddr
            Map.entry(869, "0.0.0.0"), // inet
            Map.entry(1042, ""), // bpchar
            Map.entry(1043, ""), // varchar
            Map.entry(1082, "1970-01-01"), // date
            Map.entry(1083, "00:00:00"), // time
            Map.entry(1114, "1970-01-01 00:00:00"), // timestamp
            Map.entry(1184, "1970-01-01 00:00:00+00"), // timestamptz
            Map.entry(1186, ZERO), // interval
            Map.entry(1266, "00:00:00+00"), // timetz
            Map.entry(1560, ""), // bit
            Map.entry(1562, ""), // varbit
            Map.entry(1700, ZERO), // numeric
            Map.entry(2950, "00000000-0000-0000-0000-000000000000"), // uuid
            Map.entry(3802, "{}"), // jsonb
            // Arrays of the above.
            Map.entry(1000, EMPTY_ARRAY),
            Map.entry(1005, EMPTY_ARRAY),
            Map.entry(1007, EMPTY_ARRAY),
            Map.entry(1009, EMPTY_ARRAY),
            Map.entry(1015, EMPTY_ARRAY),
            Map.entry(1016, EMPTY_ARRAY),
            Map.entry(1021, EMPTY_ARRAY),
            Map.entry(1022, EMPTY_ARRAY),
            Map.entry(1115, EMPTY_ARRAY),
            Map.entry(1182, EMPTY_ARRAY),
            Map.entry(1185, EMPTY_ARRAY),
            Map.entry(1231, EMPTY_ARRAY),
            Map.entry(2951, EMPTY_ARRAY),
            Map.entry(3807, EMPTY_ARRAY));

    private MaskedDefaults() {}

    /**
     * The masked default of a type, or {@code null} for a type without one (enums, domains,
     * composites): the target then refuses the row and Sluice stops, naming the column, rather
     * than write its value.
     */
    static String of(int typeOid) {
        return BY_TYPE.get(typeOid);
    }
}
