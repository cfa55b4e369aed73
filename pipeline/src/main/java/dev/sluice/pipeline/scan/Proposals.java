package dev.sluice.pipeline.scan;

import static dev.sluice.pipeline.scan.ColumnType.Category.BYTEA;
import static dev.sluice.pipeline.scan.ColumnType.Category.DATE;
import static dev.sluice.pipeline.scan.ColumnType.Category.INET;
import static dev.sluice.pipeline.scan.ColumnType.Category.INTEGER;
import static dev.sluice.pipeline.scan.ColumnType.Category.JSON;
import static dev.sluice.pipeline.scan.ColumnType.Category.NUMERIC;
import static dev.sluice.pipeline.scan.ColumnType.Category.TEXT;
import static dev.sluice.pipeline.scan.ColumnType.Category.TIMESTAMP;
import static dev.sluice.pipeline.scan.ColumnType.Category.UUID;

import dev.sluice.pipeline.scan.ColumnType.Category;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which transformer {@code sluice scan} proposes for each kind of personal data: THE table to
 * adjust when the transformer library changes. Names only; the scan never loads a transformer.
 *
 * <p>Each row gives, for a kind and the column types it applies to, the transformer for an
 * ordinary column and the one for a column under a unique index (a collision-free variant:
 * format-preserving encryption, or a keyed hash long enough not to collide in practice). A
 * transformer that refuses some inputs (a card transformer refuses what is no card number, and the
 * run would stop on such a value) is proposed only when every sampled value fits it; otherwise the
 * generic choice for the column's type is.
 */
final class Proposals {

    private Proposals() {}

    /** A proposed rule: one transformer with its parameters. */
    record Proposal(String transformer, Map<String, Object> parameters) {
        Proposal {
            parameters = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        }

        static final Proposal NOOP = new Proposal("noop", Map.of());

        boolean isNoop() {
            return transformer.equals("noop");
        }
    }

    /** What a transformer needs of every value, checked against the sample. */
    enum Accepts {
        ANY("", p -> true),
        DIGITS("has no digit", p -> p.withDigits == p.values),
        CARD_NUMBERS("is no card number of 12 to 19 digits", p -> p.cardShaped == p.values),
        NINE_DIGITS("is no 9-digit number", p -> p.ssnShaped == p.values),
        LETTERS_OR_DIGITS("has neither letters nor digits", p -> p.withAlnum == p.values),
        EMAILS("is no valid email address", p -> p.whole(PiiKind.EMAIL) == p.values),
        IP_ADDRESSES("is no IP address", p -> p.whole(PiiKind.IP) == p.values),
        ISO_DATES("is no date", p -> p.isoDates == p.values);

        /** Why a value fails, for comments: "a sampled value has no digit". */
        final String failure;

        final Predicate<ColumnProfile> test;

        Accepts(String failure, Predicate<ColumnProfile> test) {
            this.failure = failure;
            this.test = test;
        }
    }

    /** A transformer and what it needs of the values. */
    record Choice(String transformer, Map<String, Object> parameters, Accepts accepts) {}

    /**
     * One line of the table.
     *
     * @param unique for columns under a unique index, {@code null} for {@link #GENERIC_UNIQUE}
     */
    record Row(PiiKind kind, Set<Category> types, Choice plain, Choice unique) {}

    private static final Set<Category> TEXTS = EnumSet.of(TEXT);
    private static final Set<Category> NUMBERS = EnumSet.of(INTEGER, NUMERIC);
    private static final Map<String, Object> BIRTH_SHIFT = orderedMap("min_days", 1, "max_days", 365);
    private static final Map<String, Object> BIRTH_SHIFT_UNIQUE =
            orderedMap("shift_by", "domain", "min_days", 1, "max_days", 365);

    private static Choice t(String transformer) {
        return new Choice(transformer, Map.of(), Accepts.ANY);
    }

    private static Choice t(String transformer, Accepts accepts) {
        return new Choice(transformer, Map.of(), accepts);
    }

    private static Choice t(String transformer, Map<String, Object> parameters) {
        return new Choice(transformer, parameters, Accepts.ANY);
    }

    private static Choice t(String transformer, Map<String, Object> parameters, Accepts accepts) {
        return new Choice(transformer, parameters, accepts);
    }

    private static Row row(PiiKind kind, Set<Category> types, Choice plain, Choice unique) {
        return new Row(kind, types, plain, unique);
    }

    // spotless:off
    /** The table. First row matching kind and type wins. */
    static final List<Row> TABLE = List.of(
        //  kind                  column types                  ordinary column                                   under a unique index
        row(PiiKind.EMAIL,        TEXTS,                        t("email"),                                       t("email_fpe", Accepts.EMAILS)),
        row(PiiKind.PHONE,        TEXTS,                        t("phone", Accepts.DIGITS),                       t("phone_fpe", Accepts.DIGITS)),
        row(PiiKind.PHONE,        NUMBERS,                      t("integer_fpe"),                                 t("integer_fpe")),
        row(PiiKind.FIRST_NAME,   TEXTS,                        t("first_name"),                                  null),
        row(PiiKind.LAST_NAME,    TEXTS,                        t("last_name"),                                   null),
        row(PiiKind.FULL_NAME,    TEXTS,                        t("full_name"),                                   null),
        row(PiiKind.USERNAME,     TEXTS,                        t("text"),                                        null),
        row(PiiKind.ADDRESS,      TEXTS,                        t("address"),                                     null),
        row(PiiKind.CITY,         TEXTS,                        t("city"),                                        null),
        row(PiiKind.ZIP,          TEXTS,                        t("zip", Accepts.LETTERS_OR_DIGITS),              t("string_fpe")),
        row(PiiKind.ZIP,          NUMBERS,                      t("zip"),                                         t("integer_fpe")),
        row(PiiKind.SSN,          TEXTS,                        t("ssn", Accepts.NINE_DIGITS),                    t("ssn_fpe", Accepts.NINE_DIGITS)),
        row(PiiKind.SSN,          NUMBERS,                      t("integer_fpe"),                                 t("integer_fpe")),
        row(PiiKind.NATIONAL_ID,  TEXTS,                        t("text"),                                        null),
        row(PiiKind.NATIONAL_ID,  NUMBERS,                      t("integer_fpe"),                                 t("integer_fpe")),
        row(PiiKind.CARD,         TEXTS,                        t("credit_card", Accepts.CARD_NUMBERS),           t("credit_card_fpe", Accepts.CARD_NUMBERS)),
        row(PiiKind.CARD,         NUMBERS,                      t("integer_fpe"),                                 t("integer_fpe")),
        row(PiiKind.IBAN,         TEXTS,                        t("digits_fpe"),                                  t("digits_fpe")),
        row(PiiKind.IP,           EnumSet.of(INET),             t("ip"),                                          t("ip")),
        row(PiiKind.IP,           TEXTS,                        t("ip", Accepts.IP_ADDRESSES),                    t("ip", Accepts.IP_ADDRESSES)),
        row(PiiKind.BIRTH_DATE,   EnumSet.of(DATE),             t("date_shift", BIRTH_SHIFT),                     t("date_shift", BIRTH_SHIFT_UNIQUE)),
        row(PiiKind.BIRTH_DATE,   EnumSet.of(TIMESTAMP),        t("timestamp_shift", BIRTH_SHIFT),                t("timestamp_shift", BIRTH_SHIFT_UNIQUE)),
        row(PiiKind.BIRTH_DATE,   TEXTS,                        t("date_shift", BIRTH_SHIFT, Accepts.ISO_DATES),  t("date_shift", BIRTH_SHIFT_UNIQUE, Accepts.ISO_DATES)),
        row(PiiKind.BIRTH_DATE,   NUMBERS,                      t("integer_fpe"),                                 t("integer_fpe")),
        row(PiiKind.SECRET,       TEXTS,                        t("hash"),                                        t("hash")),
        row(PiiKind.SECRET,       EnumSet.of(BYTEA),            t("encrypted_aes_siv"),                           t("encrypted_aes_siv")),
        row(PiiKind.SECRET,       EnumSet.of(UUID),             t("uuid_fpe"),                                    t("uuid_fpe")),
        row(PiiKind.FREE_TEXT,    TEXTS,                        t("text"),                                        null),
        row(PiiKind.JSON,         EnumSet.of(JSON),             t("json"),                                        t("json")));
    // spotless:on

    /** For text when the specific transformer does not fit: letters to letters, digits to digits. */
    static final String GENERIC_TEXT = "text";
    /**
     * For unique text when nothing specific exists: format-preserving encryption of letters and
     * digits, the rest kept, so length and look survive and distinct values stay distinct.
     */
    static final String GENERIC_UNIQUE = "string_fpe";
    /** For whole numbers: format-preserving encryption keeps the number of digits. */
    static final String GENERIC_NUMBER = "integer_fpe";

    /** Hex digits of a keyed hash below which collisions become likely at millions of rows. */
    static final int HASH_MIN_LENGTH = 16;

    /** Transformers that see the whole value, so cannot take an array column element by element. */
    private static final Set<String> WHOLE_VALUE = Set.of("hash", "encrypted_aes_siv", "json");

    /**
     * The proposal for a column of a kind.
     *
     * @param notes receives why the proposal is not the table's first choice
     * @return empty when no transformer fits the column's type
     */
    static Optional<Proposal> propose(
            PiiKind kind, ColumnType type, boolean unique, ColumnProfile profile, List<String> notes) {
        Row row = TABLE.stream()
                .filter(r -> r.kind() == kind && r.types().contains(type.category()))
                .findFirst()
                .orElse(null);
        if (row == null) {
            return generic(type, unique);
        }
        Choice choice = unique ? row.unique() : row.plain();
        if (choice == null) {
            notes.add(row.plain().transformer() + ", the usual choice, could map two values alike");
            return generic(type, true);
        }
        if (type.array() && WHOLE_VALUE.contains(choice.transformer())) {
            return generic(type, unique);
        }
        if (profile != null && profile.values > 0 && !choice.accepts().test.test(profile)) {
            if (kind == PiiKind.EMAIL && unique) {
                // email draws a new address for anything, and does not collide in practice.
                notes.add("a sampled value " + choice.accepts().failure + ", which " + choice.transformer()
                        + " refuses, so email, which does not collide in practice");
                return Optional.of(new Proposal("email", Map.of()));
            }
            notes.add("a sampled value " + choice.accepts().failure + ", which " + choice.transformer()
                    + " refuses, so " + genericName(type, unique) + " instead");
            return generic(type, unique);
        }
        if (choice.transformer().equals("hash")
                && unique
                && type.maxLength() >= 0
                && type.maxLength() < HASH_MIN_LENGTH) {
            return generic(type, true);
        }
        Map<String, Object> parameters = new LinkedHashMap<>(choice.parameters());
        if (choice.transformer().equals("hash")) {
            fitHash(type, parameters);
        }
        return Optional.of(new Proposal(choice.transformer(), parameters));
    }

    private static String genericName(ColumnType type, boolean unique) {
        if (type.numeric()) {
            return GENERIC_NUMBER;
        }
        return unique ? GENERIC_UNIQUE : GENERIC_TEXT;
    }

    /** The fallback for the column's type: text, FPE for unique text and for numbers. */
    private static Optional<Proposal> generic(ColumnType type, boolean unique) {
        if (!type.numeric() && !type.textual()) {
            return Optional.empty();
        }
        return Optional.of(new Proposal(genericName(type, unique), Map.of()));
    }

    /** A hash cut to the column's length, so the target accepts it. */
    private static void fitHash(ColumnType type, Map<String, Object> parameters) {
        if (type.maxLength() > 0 && type.maxLength() < 64) {
            parameters.put("length", type.maxLength());
        }
    }

    private static Map<String, Object> orderedMap(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }
}
