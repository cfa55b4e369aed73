package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.List;
import java.util.Map;

/**
 * Fake people and places from Datafaker's English lists, drawn with the keyed random of the input
 * value: the same name always becomes the same fake name within a domain. Names repeat (a few
 * thousand first names), so none of these keeps a column unique.
 */
final class NameTransformers {

    enum Kind {
        FIRST,
        LAST,
        FULL
    }

    private NameTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("first_name", c -> name(c, "first_name", Kind.FIRST, Dialect.SLUICE)),
                Factory.elementwise("last_name", c -> name(c, "last_name", Kind.LAST, Dialect.SLUICE)),
                Factory.elementwise("full_name", c -> name(c, "full_name", Kind.FULL, Dialect.SLUICE)),
                Factory.elementwise(
                        "neosync_firstname", c -> name(c, "neosync_firstname", Kind.FIRST, Dialect.NEOSYNC)),
                Factory.elementwise("neosync_lastname", c -> name(c, "neosync_lastname", Kind.LAST, Dialect.NEOSYNC)),
                Factory.elementwise("neosync_fullname", c -> name(c, "neosync_fullname", Kind.FULL, Dialect.NEOSYNC)),
                Factory.elementwise(
                        "greenmask_firstname", c -> name(c, "greenmask_firstname", Kind.FIRST, Dialect.GREENMASK)),
                Factory.elementwise("address", NameTransformers::address),
                Factory.elementwise("city", NameTransformers::city),
                Factory.elementwise("zip", NameTransformers::zip));
    }

    enum Dialect {
        SLUICE,
        NEOSYNC,
        GREENMASK
    }

    /**
     * A first, last or full name. Parameters: {@code gender} ({@code any}, {@code female}, {@code
     * male}; first and full names, Sluice and greenmask), {@code preserve_length} (same number of
     * characters as the input: a name of that length when the list has one, else one cut or
     * padded), {@code max_length} (default 100), and neosync's {@code seed} (selects another
     * mapping under the same key).
     */
    static Transformer name(TransformerContext c, String transformer, Kind kind, Dialect dialect) {
        ColumnTypes.require(c, transformer, ColumnTypes.TEXT);
        Parameters p = c.parameters();
        String gender = "any";
        boolean preserveLength = false;
        int maxLength = 100;
        String purpose = kind.name().toLowerCase(java.util.Locale.ROOT) + "_name";
        if (dialect == Dialect.GREENMASK) {
            Compat.generator(p);
            gender = p.choice("gender", "Any", List.of("Any", "Female", "Male", "any", "female", "male"));
        } else {
            if (dialect == Dialect.SLUICE && kind != Kind.LAST) {
                gender = p.choice("gender", "any", List.of("any", "female", "male"));
            }
            preserveLength = p.bool("preserve_length", false);
            maxLength = (int) p.integer("max_length", 100, kind == Kind.FULL ? 3 : 1, 10_000);
            if (dialect == Dialect.NEOSYNC) {
                purpose = Compat.purpose(purpose, p, "seed");
            }
        }
        p.requireAllUsed();
        Dictionaries dict = Dictionaries.get();
        List<String> firsts = switch (gender.toLowerCase(java.util.Locale.ROOT)) {
            case "female" -> dict.femaleFirst;
            case "male" -> dict.maleFirst;
            default -> dict.first;
        };
        Map<Integer, List<String>> firstsByLength = switch (gender.toLowerCase(java.util.Locale.ROOT)) {
            case "female" -> dict.femaleFirstByLength;
            case "male" -> dict.maleFirstByLength;
            default -> dict.firstByLength;
        };
        DomainKey key = c.key();
        String label = purpose;
        boolean keepLength = preserveLength;
        int max = maxLength;
        return transformer(Uniqueness.NONE, value -> {
            KeyedRandom r = KeyedRandom.of(key, label, value);
            int length = value.codePointCount(0, value.length());
            String out;
            if (kind == Kind.FULL) {
                out = keepLength ? fullOfLength(r, firsts, dict, length) : r.pick(firsts) + " " + r.pick(dict.last);
            } else {
                List<String> words = kind == Kind.FIRST ? firsts : dict.last;
                Map<Integer, List<String>> byLength = kind == Kind.FIRST ? firstsByLength : dict.lastByLength;
                out = keepLength ? ofLength(r, words, byLength, length) : r.pick(words);
            }
            return keepLength ? out : cut(out, max);
        });
    }

    private static String ofLength(KeyedRandom r, List<String> words, Map<Integer, List<String>> byLength, int n) {
        List<String> same = byLength.get(n);
        return same != null ? r.pick(same) : fit(r, r.pick(words), n);
    }

    private static String fullOfLength(KeyedRandom r, List<String> firsts, Dictionaries dict, int n) {
        for (int attempt = 0; attempt < 8; attempt++) {
            String first = r.pick(firsts);
            List<String> lasts = dict.lastByLength.get(n - 1 - first.length());
            if (lasts != null) {
                return first + " " + r.pick(lasts);
            }
        }
        return fit(r, r.pick(firsts) + " " + r.pick(dict.last), n);
    }

    /** Cut to {@code n} characters, or padded with keyed lowercase letters. */
    static String fit(KeyedRandom r, String s, int n) {
        if (s.length() >= n) {
            return s.substring(0, n).strip().length() == n ? s.substring(0, n) : s.substring(0, n - 1) + "a";
        }
        StringBuilder b = new StringBuilder(s);
        while (b.length() < n) {
            b.append((char) ('a' + r.below(26)));
        }
        return b.toString();
    }

    private static String cut(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max).strip();
    }

    /** A street address: a keyed building number and a street named after a person. */
    static Transformer address(TransformerContext c) {
        ColumnTypes.require(c, "address", ColumnTypes.TEXT);
        c.parameters().requireAllUsed();
        DomainKey key = c.key();
        Dictionaries dict = Dictionaries.get();
        return transformer(Uniqueness.NONE, value -> {
            KeyedRandom r = KeyedRandom.of(key, "address", value);
            long number = r.between(1, 3) == 1 ? r.between(100, 999) : r.between(1000, 99_999);
            String street = r.nextBoolean() ? r.pick(dict.first) : r.pick(dict.last);
            return number + " " + street + " " + r.pick(dict.streetSuffix);
        });
    }

    /** A made-up city name in Datafaker's patterns ("Port Alberto", "Smithville"). */
    static Transformer city(TransformerContext c) {
        ColumnTypes.require(c, "city", ColumnTypes.TEXT);
        c.parameters().requireAllUsed();
        DomainKey key = c.key();
        Dictionaries dict = Dictionaries.get();
        return transformer(Uniqueness.NONE, value -> {
            KeyedRandom r = KeyedRandom.of(key, "city", value);
            return switch ((int) r.below(4)) {
                case 0 -> r.pick(dict.cityPrefix) + " " + r.pick(dict.first) + r.pick(dict.citySuffix);
                case 1 -> r.pick(dict.cityPrefix) + " " + r.pick(dict.first);
                case 2 -> r.pick(dict.first) + r.pick(dict.citySuffix);
                default -> r.pick(dict.last) + r.pick(dict.citySuffix);
            };
        });
    }

    /**
     * A postal code of the same shape: digits become keyed digits, letters keyed letters of the
     * same case, anything else stays ({@code 12345-6789}, {@code SW1A 1AA}).
     */
    static Transformer zip(TransformerContext c) {
        ColumnTypes.require(c, "zip", ColumnTypes.INTEGERS);
        c.parameters().requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            String out = TextTransformers.reshape(KeyedRandom.of(key, "zip", value), value);
            if (out.equals(value) && value.chars().noneMatch(Character::isLetterOrDigit)) {
                throw new TransformException("not a postal code: no letters or digits");
            }
            return out;
        });
    }
}
