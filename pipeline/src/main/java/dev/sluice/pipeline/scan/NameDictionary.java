package dev.sluice.pipeline.scan;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Common given and family names, to recognize columns of person names by their values. Small on
 * purpose (a few hundred of each): a column of names has many of the common ones, and a column of
 * product names or cities has few.
 */
final class NameDictionary {

    private static final Pattern MARKS = Pattern.compile("\\p{M}+");
    /** A name-shaped word: a capital, then letters, apostrophes or hyphens. */
    private static final Pattern WORD = Pattern.compile("\\p{Lu}[\\p{L}'’-]*[.,]?");

    private static final Pattern LETTERS = Pattern.compile("\\p{L}[\\p{L}'’-]*");

    private final Set<String> first;
    private final Set<String> last;

    private static final class Holder {
        static final NameDictionary INSTANCE = new NameDictionary();
    }

    static NameDictionary get() {
        return Holder.INSTANCE;
    }

    private NameDictionary() {
        first = load("first-names.txt");
        last = load("last-names.txt");
    }

    /** What a value is, as far as the names go. */
    enum NameShape {
        FIRST,
        LAST,
        FULL,
        NONE
    }

    /**
     * Whether the value is a known given name, a known family name, or a full name (two to four
     * capitalized words, the first a known given name or the last a known family name).
     */
    NameShape classify(String value) {
        String v = value.strip();
        if (v.isEmpty() || v.length() > 80) {
            return NameShape.NONE;
        }
        String[] words = v.split("\\s+");
        if (words.length == 1) {
            String k = key(v);
            boolean isFirst = first.contains(k);
            boolean isLast = last.contains(k);
            if (!LETTERS.matcher(v).matches()) {
                return NameShape.NONE;
            }
            return isFirst ? NameShape.FIRST : isLast ? NameShape.LAST : NameShape.NONE;
        }
        if (words.length > 4) {
            return NameShape.NONE;
        }
        for (String w : words) {
            if (!WORD.matcher(w).matches()) {
                return NameShape.NONE;
            }
        }
        boolean knownFirst = first.contains(key(words[0]));
        boolean knownLast = last.contains(key(words[words.length - 1]));
        // "Smith, John" is written surname first.
        boolean reversed = words.length == 2 && words[0].endsWith(",") && last.contains(key(words[0]));
        return knownFirst || knownLast || reversed ? NameShape.FULL : NameShape.NONE;
    }

    /** Lower case without accents or punctuation: {@code Zoë} and {@code zoe} are the same name. */
    static String key(String word) {
        String s = word.toLowerCase(Locale.ROOT)
                .replace('ł', 'l')
                .replace('ø', 'o')
                .replace("ß", "ss")
                .replace("æ", "ae");
        s = MARKS.matcher(Normalizer.normalize(s, Normalizer.Form.NFD)).replaceAll("");
        return s.replaceAll("[^a-z'-]", "");
    }

    private static Set<String> load(String resource) {
        Set<String> words = new HashSet<>();
        try (InputStream in = NameDictionary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("resource " + resource + " is missing from the jar");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            String line;
            while ((line = reader.readLine()) != null) {
                if (line.startsWith("#")) {
                    continue;
                }
                for (String w : line.strip().split("\\s+")) {
                    if (!w.isEmpty()) {
                        words.add(key(w));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Set.copyOf(words);
    }
}
