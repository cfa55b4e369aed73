package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Free text, keyed strings and hashes, constants, choices and regular-expression rewrites. */
final class TextTransformers {

    static final String ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ1234567890";
    private static final String LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    /** Keyed outputs over at least this many bits are taken as collision-free in practice. */
    static final double PRACTICAL_BITS = 64;

    private TextTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("text", TextTransformers::text),
                Factory.elementwise("string", TextTransformers::string),
                Factory.elementwise("neosync_string", TextTransformers::neosyncString),
                Factory.elementwise("greenmask_string", TextTransformers::greenmaskString),
                Factory.whole("hash", TextTransformers::hash),
                Factory.whole("constant", c -> constant(c, "value")),
                Factory.whole("literal_string", c -> constant(c, "literal")),
                Factory.whole("set_null", TextTransformers::setNull),
                Factory.elementwise("choice", c -> choice(c, "choice")),
                Factory.elementwise("greenmask_choice", c -> choice(c, "greenmask_choice")),
                Factory.elementwise("boolean", c -> bool(c, "boolean")),
                Factory.elementwise("greenmask_boolean", c -> bool(c, "greenmask_boolean")),
                Factory.whole("regex_replace", TextTransformers::regexReplace));
    }

    /**
     * Free text. {@code mode: shape} (the default) replaces every letter with a keyed letter of
     * the same case and every digit with a keyed digit, keeping spaces, punctuation and length, so
     * the text keeps its look; {@code mode: lorem} writes lorem-ipsum words of the same total
     * length.
     */
    static Transformer text(TransformerContext c) {
        ColumnTypes.require(c, "text", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        boolean lorem = p.choice("mode", "shape", List.of("shape", "lorem")).equals("lorem");
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            KeyedRandom r = KeyedRandom.of(key, "text", value);
            return lorem ? lorem(r, value.codePointCount(0, value.length())) : reshape(r, value);
        });
    }

    /** Letters to keyed letters of the same case, digits to keyed digits, the rest unchanged. */
    static String reshape(KeyedRandom r, String value) {
        // Never longer than the value: a letter or digit becomes one char, anything else stays.
        // A char array, since StringBuilder's checks per append cost more than the draws.
        char[] out = new char[value.length()];
        int n = 0;
        for (int i = 0; i < value.length(); ) {
            int cp = value.codePointAt(i);
            int count = Character.charCount(cp);
            // ASCII is told apart by ranges, as Character's tables would, without three lookups.
            boolean ascii = cp < 0x80;
            if (ascii ? cp >= '0' && cp <= '9' : Character.isDigit(cp)) {
                out[n++] = (char) ('0' + r.below(10));
            } else if (ascii ? (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z' : Character.isLetter(cp)) {
                boolean upper = ascii ? cp <= 'Z' : Character.isUpperCase(cp);
                out[n++] = (char) ((upper ? 'A' : 'a') + r.below(26));
            } else {
                value.getChars(i, i + count, out, n);
                n += count;
            }
            i += count;
        }
        return new String(out, 0, n);
    }

    private static String lorem(KeyedRandom r, int length) {
        List<String> words = Dictionaries.get().lorem;
        StringBuilder b = new StringBuilder(length + 16);
        while (b.length() < length) {
            if (b.length() > 0) {
                b.append(' ');
            }
            b.append(r.pick(words));
        }
        b.setLength(length);
        if (length > 0) {
            b.setCharAt(0, Character.toUpperCase(b.charAt(0)));
            if (b.charAt(length - 1) == ' ') {
                b.setCharAt(length - 1, '.');
            }
        }
        return b.toString();
    }

    private static String draw(KeyedRandom r, String symbols, int length) {
        StringBuilder b = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            b.append(symbols.charAt((int) r.below(symbols.length())));
        }
        return b.toString();
    }

    private static Uniqueness practicalIf(double bits) {
        return bits >= PRACTICAL_BITS ? Uniqueness.PRACTICAL : Uniqueness.NONE;
    }

    /** pgstream's string: keyed letters, as many as the input has characters. */
    static Transformer string(TransformerContext c) {
        ColumnTypes.require(c, "string", ColumnTypes.TEXT);
        c.parameters().requireAllUsed();
        DomainKey key = c.key();
        return transformer(
                Uniqueness.NONE,
                value -> draw(KeyedRandom.of(key, "string", value), LETTERS, value.codePointCount(0, value.length())));
    }

    /**
     * neosync_string: keyed lowercase letters and digits, {@code min_length} (1) to {@code
     * max_length} (100) long, or as long as the input with {@code preserve_length}.
     */
    static Transformer neosyncString(TransformerContext c) {
        ColumnTypes.require(c, "neosync_string", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        boolean preserve = p.bool("preserve_length", false);
        int min = (int) p.integer("min_length", 1, 0, 100_000);
        int max = (int) p.integer("max_length", 100, 0, 100_000);
        String purpose = Compat.purpose("neosync_string", p, "seed");
        if (max < min) {
            throw p.invalid("max_length", max, "at least min_length (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        Uniqueness u = preserve ? Uniqueness.NONE : practicalIf(min * log2(LOWER_ALNUM.length()));
        return transformer(u, value -> {
            KeyedRandom r = KeyedRandom.of(key, purpose, value);
            int length = preserve ? value.codePointCount(0, value.length()) : (int) r.between(min, max);
            return draw(r, LOWER_ALNUM, length);
        });
    }

    /** greenmask_string: keyed {@code symbols}, {@code min_length} (1) to {@code max_length} (100) long. */
    static Transformer greenmaskString(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_string", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        Compat.generator(p);
        String symbols = p.string("symbols", ALNUM);
        int min = (int) p.integer("min_length", 1, 0, 100_000);
        int max = (int) p.integer("max_length", 100, 0, 100_000);
        if (symbols.isEmpty() || symbols.codePoints().anyMatch(Character::isSupplementaryCodePoint)) {
            throw p.invalid("symbols", symbols, "at least one character, none outside the basic plane");
        }
        if (max < min) {
            throw p.invalid("max_length", max, "at least min_length (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        long distinct = symbols.chars().distinct().count();
        return transformer(practicalIf(min * log2(distinct)), value -> {
            KeyedRandom r = KeyedRandom.of(key, "greenmask_string", value);
            return draw(r, symbols, (int) r.between(min, max));
        });
    }

    private static double log2(double n) {
        return Math.log(n) / Math.log(2);
    }

    /**
     * The keyed hash (HMAC-SHA256 under the domain key) as {@code encoding} {@code hex} (default),
     * {@code base64} or {@code base64url}, cut to {@code length} characters; {@code salt} selects
     * another mapping under the same key. Practically collision-free from 64 bits (16 hex
     * characters) on.
     */
    static Transformer hash(TransformerContext c) {
        ColumnTypes.require(c, "hash", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        String encoding = p.choice("encoding", "hex", List.of("hex", "base64", "base64url"));
        int full = encoding.equals("hex") ? 64 : 43;
        int length = (int) p.integer("length", full, 1, full);
        String purpose = Compat.purpose("hash", p, "salt");
        p.requireAllUsed();
        DomainKey key = c.key();
        double bits = length * (encoding.equals("hex") ? 4 : 6);
        return transformer(practicalIf(bits), value -> {
            byte[] mac = key.mac(purpose, value);
            String s = switch (encoding) {
                case "hex" -> HexFormat.of().formatHex(mac);
                case "base64" -> Base64.getEncoder().withoutPadding().encodeToString(mac);
                default -> Base64.getUrlEncoder().withoutPadding().encodeToString(mac);
            };
            return s.substring(0, length);
        });
    }

    /** The same text for every value: {@code constant} takes {@code value}, pgstream's {@code literal_string} {@code literal}. */
    static Transformer constant(TransformerContext c, String parameter) {
        Parameters p = c.parameters();
        Object raw = p.raw(parameter).orElse(null);
        if (raw == null) {
            p.requiredString(parameter);
        }
        if (raw instanceof java.util.Map || raw instanceof List) {
            throw p.invalid(parameter, raw, "text (quote it in YAML for JSON or array literals)");
        }
        String literal = String.valueOf(raw);
        p.requireAllUsed();
        return transformer(Uniqueness.NONE, value -> literal);
    }

    /** SQL NULL for every value. */
    static Transformer setNull(TransformerContext c) {
        c.parameters().requireAllUsed();
        return transformer(Uniqueness.NONE, value -> null);
    }

    /** One of {@code choices}, drawn with the value's keyed random. */
    static Transformer choice(TransformerContext c, String name) {
        Parameters p = c.parameters();
        if (name.startsWith("greenmask")) {
            Compat.generator(p);
        }
        List<String> choices = p.strings("choices");
        if (choices.isEmpty()) {
            p.requiredString("choices");
            throw p.invalid("choices", "[]", "a non-empty list");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(
                Uniqueness.NONE, value -> KeyedRandom.of(key, "choice", value).pick(choices));
    }

    /**
     * A keyed {@code t} or {@code f}. Deterministic per value, so every {@code true} of a domain
     * maps alike: this hides which rows share a value only as far as two values can;
     * {@code set_null} or {@code constant} hide it entirely.
     */
    static Transformer bool(TransformerContext c, String name) {
        ColumnTypes.require(c, name, ColumnTypes.Kind.BOOLEAN, ColumnTypes.Kind.TEXT);
        Parameters p = c.parameters();
        Compat.generator(p);
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            boolean b = switch (value.strip().toLowerCase(Locale.ROOT)) {
                case "t", "true", "y", "yes", "on", "1" -> true;
                case "f", "false", "n", "no", "off", "0" -> false;
                default -> throw new TransformException("not a boolean");
            };
            return KeyedRandom.of(key, "boolean", Boolean.toString(b)).nextBoolean() ? "t" : "f";
        });
    }

    /**
     * Every match of {@code pattern} (Java regular expression) replaced by {@code replacement}
     * ({@code $1} refers to a group). A value without a match passes unchanged.
     */
    static Transformer regexReplace(TransformerContext c) {
        Parameters p = c.parameters();
        String regex = p.requiredString("pattern");
        String replacement = p.requiredString("replacement");
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw p.invalid("pattern", regex, "a Java regular expression (" + e.getDescription() + ")");
        }
        Matcher groups = Pattern.compile("\\$(\\d+)").matcher(replacement);
        int count = pattern.matcher("").groupCount();
        while (groups.find()) {
            if (Integer.parseInt(groups.group(1)) > count) {
                throw p.invalid("replacement", replacement, "group references up to $" + count);
            }
        }
        try {
            pattern.matcher("").replaceAll(replacement);
        } catch (IllegalArgumentException e) {
            throw p.invalid("replacement", replacement, "a replacement (" + e.getMessage() + ")");
        }
        p.requireAllUsed();
        return transformer(Uniqueness.NONE, value -> pattern.matcher(value).replaceAll(replacement));
    }
}
