package dev.sluice.transform;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A rule's parameters, read by its factory with typed getters whose errors name the place in the
 * rules file, the transformer, the parameter, what was found and what was expected. After building,
 * {@link #requireAllUsed()} refuses parameters no getter asked for, so a misspelt one never goes
 * unnoticed.
 */
public final class Parameters {

    private final String where;
    private final String transformer;
    private final Map<String, Object> values;
    private final Set<String> used = new TreeSet<>();

    /**
     * @param where the rule's place for messages, e.g. {@code transform.yaml:12, public.users.email}
     * @param transformer the transformer's name
     * @param values parameters as parsed from YAML (strings, numbers, booleans, lists, maps)
     */
    public Parameters(String where, String transformer, Map<String, Object> values) {
        this.where = where;
        this.transformer = transformer;
        this.values = new LinkedHashMap<>(values);
    }

    public static Parameters none(String where, String transformer) {
        return new Parameters(where, transformer, Map.of());
    }

    public Optional<String> string(String name) {
        Object v = take(name);
        if (v == null) {
            return Optional.empty();
        }
        if (v instanceof Map || v instanceof List) {
            throw invalid(name, v, "text");
        }
        return Optional.of(v.toString());
    }

    public String string(String name, String defaultValue) {
        return string(name).orElse(defaultValue);
    }

    public String requiredString(String name) {
        return string(name).orElseThrow(() -> missing(name, "text"));
    }

    public long integer(String name, long defaultValue, long min, long max) {
        Object v = take(name);
        if (v == null) {
            return defaultValue;
        }
        long n;
        try {
            n = v instanceof Number number && !(v instanceof Double || v instanceof Float)
                    ? number.longValue()
                    : Long.parseLong(v.toString().strip());
        } catch (NumberFormatException e) {
            throw invalid(name, v, "a whole number from " + min + " to " + max);
        }
        if (n < min || n > max) {
            throw invalid(name, v, "a whole number from " + min + " to " + max);
        }
        return n;
    }

    public double decimal(String name, double defaultValue) {
        Object v = take(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return v instanceof Number number
                    ? number.doubleValue()
                    : Double.parseDouble(v.toString().strip());
        } catch (NumberFormatException e) {
            throw invalid(name, v, "a number");
        }
    }

    public boolean bool(String name, boolean defaultValue) {
        Object v = take(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        return switch (v.toString().strip().toLowerCase(java.util.Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(name, v, "true or false");
        };
    }

    /** One of the allowed words. */
    public String choice(String name, String defaultValue, List<String> allowed) {
        String v = string(name, defaultValue);
        if (!allowed.contains(v)) {
            throw invalid(name, v, "one of " + String.join(", ", allowed));
        }
        return v;
    }

    public List<String> strings(String name) {
        Object v = take(name);
        if (v == null) {
            return List.of();
        }
        if (v instanceof List<?> list) {
            return list.stream().map(String::valueOf).toList();
        }
        if (v instanceof Map) {
            throw invalid(name, v, "a list of text");
        }
        return List.of(v.toString());
    }

    /** A nested value as parsed (map, list or scalar), for transformers that take structure. */
    public Optional<Object> raw(String name) {
        return Optional.ofNullable(take(name));
    }

    /** Refuses parameters nobody read: almost always a typo. */
    public void requireAllUsed() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(used);
        if (!unknown.isEmpty()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    where + ": transformer '" + transformer + "' has no parameter " + String.join(", ", unknown)
                            + (used.isEmpty() ? " (it takes none)" : " (it takes: " + String.join(", ", used) + ")"));
        }
    }

    /** A parameter error for checks a factory makes itself. */
    public SluiceException invalid(String name, Object found, String expected) {
        return new SluiceException(
                Reason.CONFIG,
                where + ": transformer '" + transformer + "', parameter '" + name + "': " + describe(found)
                        + " is not allowed (expected " + expected + ")");
    }

    private SluiceException missing(String name, String expected) {
        return new SluiceException(
                Reason.CONFIG,
                where + ": transformer '" + transformer + "' needs parameter '" + name + "' (" + expected + ")");
    }

    private Object take(String name) {
        used.add(name);
        return values.get(name);
    }

    private static String describe(Object v) {
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }

    public String where() {
        return where;
    }
}
