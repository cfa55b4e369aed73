package dev.sluice.transform.builtin;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import net.datafaker.Faker;

/**
 * Word lists taken once from Datafaker's English data (names, street suffixes, city parts, lorem
 * words) and kept immutable, so that a fake value costs a keyed draw from a list instead of a
 * Datafaker instance per value (Datafaker's generators are not thread-safe, and building one per
 * call costs far more than the draw). The lists change only with the Datafaker version; outputs
 * follow them.
 */
final class Dictionaries {

    final List<String> maleFirst;
    final List<String> femaleFirst;
    final List<String> first;
    final List<String> last;
    final List<String> streetSuffix;
    final List<String> cityPrefix;
    final List<String> citySuffix;
    final List<String> lorem;
    final Map<Integer, List<String>> firstByLength;
    final Map<Integer, List<String>> maleFirstByLength;
    final Map<Integer, List<String>> femaleFirstByLength;
    final Map<Integer, List<String>> lastByLength;

    private static final class Holder {
        static final Dictionaries INSTANCE = new Dictionaries();
    }

    static Dictionaries get() {
        return Holder.INSTANCE;
    }

    private Dictionaries() {
        Faker faker = new Faker(Locale.ENGLISH);
        maleFirst = list(faker, "name.male_first_name");
        femaleFirst = list(faker, "name.female_first_name");
        LinkedHashSet<String> all = new LinkedHashSet<>(femaleFirst);
        all.addAll(maleFirst);
        first = List.copyOf(all);
        last = list(faker, "name.last_name");
        streetSuffix = list(faker, "address.street_suffix");
        cityPrefix = list(faker, "address.city_prefix");
        citySuffix = list(faker, "address.city_suffix");
        lorem = list(faker, "lorem.words");
        firstByLength = byLength(first);
        maleFirstByLength = byLength(maleFirst);
        femaleFirstByLength = byLength(femaleFirst);
        lastByLength = byLength(last);
    }

    private static List<String> list(Faker faker, String key) {
        Object o = faker.fakeValuesService().fetchObject(key, faker.getContext());
        if (!(o instanceof List<?> items) || items.isEmpty()) {
            throw new IllegalStateException("Datafaker has no list " + key);
        }
        LinkedHashSet<String> words = new LinkedHashSet<>();
        for (Object item : items) {
            String s = String.valueOf(item).strip();
            if (!s.isEmpty() && !s.contains("#{")) {
                words.add(s);
            }
        }
        return List.copyOf(words);
    }

    private static Map<Integer, List<String>> byLength(List<String> words) {
        TreeMap<Integer, List<String>> m = new TreeMap<>();
        for (String w : words) {
            m.computeIfAbsent(w.codePointCount(0, w.length()), k -> new ArrayList<>())
                    .add(w);
        }
        m.replaceAll((k, v) -> List.copyOf(v));
        return Map.copyOf(m);
    }
}
