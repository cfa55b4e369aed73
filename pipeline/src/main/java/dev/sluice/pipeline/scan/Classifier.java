package dev.sluice.pipeline.scan;

import dev.sluice.pipeline.scan.ColumnNames.Match;
import dev.sluice.pipeline.scan.ColumnNames.Strength;
import dev.sluice.pipeline.scan.ColumnType.Category;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Decides what personal data a column holds from its name, its type and its sampled values. The
 * values win where a validator can tell (97% email addresses is an email column whatever its
 * name); a strong name ({@code email}, {@code ssn}) is enough on its own, since a sample may miss
 * the rows that matter; a weak one ({@code name}, {@code card}) needs support from the values or
 * the table. Key columns that hold ids stay as they are unless their values are personal data.
 */
final class Classifier {

    /** Share of the sampled values a validator must recognize for the column to be of its kind. */
    static final double CONTENT_SHARE = 0.5;
    /**
     * Share of card-shaped values that must have a valid Luhn digit: real card numbers all do,
     * random numbers of the same length one in ten.
     */
    static final double LUHN_SHARE = 0.9;
    /** Share of values that must be known names, when the column's name says nothing. */
    static final double NAMES_SHARE_ALONE = 0.6;
    /** ... and when the column's name weakly suggests names ({@code name}). */
    static final double NAMES_SHARE_WEAK = 0.2;
    /** Share of values in the shape of a phone number or an IP for a column to count as free text with PII. */
    static final double SCATTERED_SHARE = 0.05;

    private static final Set<PiiKind> VALIDATED = EnumSet.of(PiiKind.EMAIL, PiiKind.CARD, PiiKind.SSN, PiiKind.IBAN);
    private static final Set<PiiKind> NAMES = EnumSet.of(PiiKind.FIRST_NAME, PiiKind.LAST_NAME, PiiKind.FULL_NAME);
    private static final Set<PiiKind> STRUCTURED =
            EnumSet.of(PiiKind.EMAIL, PiiKind.CARD, PiiKind.SSN, PiiKind.IBAN, PiiKind.IP, PiiKind.PHONE);

    /** The column types each kind can be found in by name. */
    private static final Map<PiiKind, Set<Category>> TYPES_BY_KIND = Map.ofEntries(
            Map.entry(PiiKind.EMAIL, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.PHONE, EnumSet.of(Category.TEXT, Category.INTEGER, Category.NUMERIC)),
            Map.entry(PiiKind.FIRST_NAME, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.LAST_NAME, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.FULL_NAME, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.USERNAME, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.ADDRESS, EnumSet.of(Category.TEXT, Category.JSON)),
            Map.entry(PiiKind.CITY, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.ZIP, EnumSet.of(Category.TEXT, Category.INTEGER, Category.NUMERIC)),
            Map.entry(PiiKind.SSN, EnumSet.of(Category.TEXT, Category.INTEGER, Category.NUMERIC)),
            Map.entry(PiiKind.NATIONAL_ID, EnumSet.of(Category.TEXT, Category.INTEGER, Category.NUMERIC)),
            Map.entry(PiiKind.CARD, EnumSet.of(Category.TEXT, Category.INTEGER, Category.NUMERIC)),
            Map.entry(PiiKind.IBAN, EnumSet.of(Category.TEXT)),
            Map.entry(PiiKind.IP, EnumSet.of(Category.TEXT, Category.INET)),
            Map.entry(
                    PiiKind.BIRTH_DATE, EnumSet.of(Category.TEXT, Category.DATE, Category.TIMESTAMP, Category.INTEGER)),
            Map.entry(PiiKind.SECRET, EnumSet.of(Category.TEXT, Category.BYTEA, Category.UUID)));

    private Classifier() {}

    /**
     * What was found in one column.
     *
     * @param kind the personal data found, or {@code null} for none
     * @param reason why, as the comment in the rules file says it ({@code name matches 'email'; 97% of
     *     1000 sampled values are email addresses})
     * @param review for a column left as it is although something hinted at personal data: what,
     *     for a comment that asks for a look; else {@code null}
     * @param paths for JSON columns, the paths holding personal data
     */
    record Finding(PiiKind kind, String reason, String review, List<PathFinding> paths) {
        static Finding none() {
            return new Finding(null, null, null, List.of());
        }

        static Finding review(String why) {
            return new Finding(null, null, why, List.of());
        }

        boolean flagged() {
            return kind != null;
        }
    }

    /** A JSON path holding personal data, and the profile of its values. */
    record PathFinding(String path, PiiKind kind, String reason, ColumnProfile profile) {}

    /**
     * Classifies a column.
     *
     * @param key whether the column is part of the primary key or of a foreign key
     * @param profile its sampled values ({@code values == 0} when none were read)
     */
    static Finding classify(String table, String column, ColumnType type, boolean key, ColumnProfile profile) {
        Optional<Match> name = ColumnNames.match(column)
                .filter(m -> TYPES_BY_KIND.getOrDefault(m.kind(), Set.of()).contains(type.category()));
        if (type.category() == Category.INET) {
            return new Finding(PiiKind.IP, "type " + type.declared() + ": IP addresses", null, List.of());
        }
        if (type.category() == Category.JSON && !type.array()) {
            return json(column, type, profile);
        }
        boolean idKey = key && (type.category() == Category.INTEGER || type.category() == Category.UUID);
        if (idKey) {
            // Ids are not personal data by their name; only values can say otherwise.
            name = Optional.empty();
        }
        String sampled = sampled(profile);
        Optional<PiiKind> content = contentKind(profile);
        if (content.isPresent()) {
            PiiKind k = content.get();
            String because = percentOf(profile, count(profile, k)) + " " + k.plural;
            return new Finding(k, prefix(name) + because, null, List.of());
        }
        if (name.isPresent() && name.get().strength() == Strength.STRONG) {
            PiiKind k = name.get().kind();
            String values = sampled;
            if (profile.values > 0 && (STRUCTURED.contains(k) || NAMES.contains(k))) {
                int n = NAMES.contains(k)
                        ? profile.whole(PiiKind.FIRST_NAME)
                                + profile.whole(PiiKind.LAST_NAME)
                                + profile.whole(PiiKind.FULL_NAME)
                        : profile.whole(k);
                values = "; " + percentOf(profile, n) + " " + (NAMES.contains(k) ? "common person names" : k.plural);
            }
            return new Finding(k, "name matches '" + name.get().word() + "'" + values, null, List.of());
        }
        Optional<PiiKind> names = namesByContent(profile, name);
        if (names.isPresent()) {
            int count = profile.whole(PiiKind.FIRST_NAME)
                    + profile.whole(PiiKind.LAST_NAME)
                    + profile.whole(PiiKind.FULL_NAME);
            return new Finding(
                    names.get(), prefix(name) + percentOf(profile, count) + " common person names", null, List.of());
        }
        if (name.isPresent()) {
            Match m = name.get();
            boolean personTable = ColumnNames.personTable(table);
            if (m.kind() == PiiKind.FULL_NAME && personTable) {
                return new Finding(
                        PiiKind.FULL_NAME,
                        "name matches '" + m.word() + "' in a table of people (" + table + ")" + sampled,
                        null,
                        List.of());
            }
            if (m.kind() == PiiKind.ADDRESS
                    && (personTable || table.toLowerCase(Locale.ROOT).contains("address"))) {
                return new Finding(
                        PiiKind.ADDRESS,
                        "name matches '" + m.word() + "' in table " + table + sampled,
                        null,
                        List.of());
            }
        }
        Optional<String> scattered = type.textual() ? scattered(profile) : Optional.empty();
        if (scattered.isPresent()) {
            return new Finding(PiiKind.FREE_TEXT, prefix(name) + scattered.get(), null, List.of());
        }
        if (name.isPresent()) {
            return Finding.review("name suggests " + name.get().kind().plural + " ('"
                    + name.get().word()
                    + "'), but " + (profile.values == 0 ? "no values were sampled" : "the sampled values do not")
                    + "; left as noop");
        }
        return Finding.none();
    }

    /** The kind most values are, when a validator recognizes enough of them. */
    private static Optional<PiiKind> contentKind(ColumnProfile p) {
        if (p.values == 0) {
            return Optional.empty();
        }
        PiiKind best = null;
        int bestCount = 0;
        for (PiiKind k : STRUCTURED) {
            int n = p.whole(k);
            if (k == PiiKind.CARD && p.luhnShare() < LUHN_SHARE) {
                continue;
            }
            if (n > bestCount) {
                best = k;
                bestCount = n;
            }
        }
        if (best != null && p.share(bestCount) >= CONTENT_SHARE) {
            return Optional.of(best);
        }
        return Optional.empty();
    }

    /** Common person names, when enough values are: more with a weak name hint, most without one. */
    private static Optional<PiiKind> namesByContent(ColumnProfile p, Optional<Match> name) {
        if (p.values == 0) {
            return Optional.empty();
        }
        int first = p.whole(PiiKind.FIRST_NAME);
        int last = p.whole(PiiKind.LAST_NAME);
        int full = p.whole(PiiKind.FULL_NAME);
        boolean hinted = name.isPresent() && NAMES.contains(name.get().kind());
        double needed = hinted ? NAMES_SHARE_WEAK : NAMES_SHARE_ALONE;
        if (p.share(first + last + full) < needed) {
            return Optional.empty();
        }
        if (full >= first && full >= last) {
            return Optional.of(PiiKind.FULL_NAME);
        }
        return Optional.of(first >= last ? PiiKind.FIRST_NAME : PiiKind.LAST_NAME);
    }

    /**
     * Personal data in some values only: a few email addresses or card numbers among other values,
     * or inside longer text ({@code "call me at +1 555 123 4567"}).
     */
    private static Optional<String> scattered(ColumnProfile p) {
        List<String> found = new ArrayList<>();
        boolean cards = p.luhnShare() >= LUHN_SHARE;
        for (PiiKind k : VALIDATED) {
            if (k == PiiKind.CARD && !cards) {
                continue;
            }
            int n = p.whole(k);
            if (n > 0) {
                found.add(n + " " + (n == 1 ? "is" : "are") + " " + singularOr(k, n));
            }
        }
        for (PiiKind k : List.of(PiiKind.PHONE, PiiKind.IP)) {
            int n = p.whole(k);
            if (n > 0 && p.share(n) >= SCATTERED_SHARE) {
                found.add(n + " " + (n == 1 ? "is" : "are") + " " + singularOr(k, n));
            }
        }
        for (PiiKind k : List.of(PiiKind.EMAIL, PiiKind.PHONE, PiiKind.CARD, PiiKind.SSN, PiiKind.IBAN)) {
            if (k == PiiKind.CARD && !cards) {
                continue;
            }
            int n = p.embedded(k);
            if (n > 0) {
                found.add(n + " contain" + (n == 1 ? "s" : "") + " " + article(k));
            }
        }
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("of " + p.values + " sampled values, " + String.join(", ", found));
    }

    private static String singularOr(PiiKind k, int n) {
        return n == 1 ? article(k) : k.plural;
    }

    private static String article(PiiKind k) {
        return switch (k) {
            case EMAIL -> "an email address";
            case PHONE -> "a phone number";
            case CARD -> "a payment card number";
            case SSN -> "a US social security number";
            case IBAN -> "an IBAN";
            case IP -> "an IP address";
            default -> "a " + k.plural;
        };
    }

    /** A JSON column: the paths whose values (or keys) are personal data. */
    private static Finding json(String column, ColumnType type, ColumnProfile p) {
        List<PathFinding> paths = new ArrayList<>();
        for (Map.Entry<String, ColumnProfile> e : p.jsonPaths.entrySet()) {
            String key = JsonPaths.lastKey(e.getKey());
            Finding leaf =
                    classify("", key.isEmpty() ? "value" : key, e.getValue().type(), false, e.getValue());
            if (leaf.flagged() && leaf.kind() != PiiKind.JSON) {
                paths.add(new PathFinding(e.getKey(), leaf.kind(), leaf.reason(), e.getValue()));
            }
        }
        if (paths.isEmpty()) {
            Optional<Match> name = ColumnNames.match(column);
            if (name.isPresent() && name.get().strength() == Strength.STRONG) {
                return Finding.review("name suggests " + name.get().kind().plural + " ('"
                        + name.get().word() + "'), but no path of the " + p.documents
                        + " sampled documents looks personal; left as noop");
            }
            return Finding.none();
        }
        List<String> what =
                paths.stream().map(f -> f.path() + " (" + f.kind().plural + ")").toList();
        return new Finding(
                PiiKind.JSON,
                "in " + p.documents + " sampled documents, " + String.join(", ", what),
                null,
                List.copyOf(paths));
    }

    private static int count(ColumnProfile p, PiiKind k) {
        return p.whole(k);
    }

    private static String prefix(Optional<Match> name) {
        return name.map(m -> "name matches '" + m.word() + "'; ").orElse("");
    }

    private static String percentOf(ColumnProfile p, int count) {
        return p.percent(count) + "% of " + p.values + " sampled values are";
    }

    private static String sampled(ColumnProfile p) {
        return p.values == 0 && p.rows > 0 ? "; all " + p.rows + " sampled values are NULL" : "";
    }
}
