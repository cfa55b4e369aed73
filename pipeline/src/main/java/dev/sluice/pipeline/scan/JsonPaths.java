package dev.sluice.pipeline.scan;

import java.util.List;
import java.util.regex.Pattern;

/** JSONPath text for the leaf paths of a document, as the {@code json} transformer reads them. */
final class JsonPaths {

    private static final Pattern PLAIN_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_-]*");

    private JsonPaths() {}

    /**
     * {@code $.a.b[*].c} for keys {@code a}, {@code b}, any array element, {@code c}; a key that is
     * not a plain word is written {@code ['a b']}.
     *
     * @param path object keys, and {@code null} for "every element of an array"
     * @return the path, or {@code null} when a key cannot be written (it holds a quote or bracket)
     */
    static String format(List<String> path) {
        StringBuilder b = new StringBuilder("$");
        for (String key : path) {
            if (key == null) {
                b.append("[*]");
            } else if (PLAIN_KEY.matcher(key).matches()) {
                b.append('.').append(key);
            } else if (key.indexOf('\'') < 0 && key.indexOf(']') < 0 && key.indexOf('"') < 0) {
                b.append("['").append(key).append("']");
            } else {
                return null;
            }
        }
        return b.toString();
    }

    /** The last key of a path: {@code email} of {@code $.contact.email}, {@code a b} of {@code $['a b']}. */
    static String lastKey(String path) {
        String p = path;
        while (p.endsWith("[*]")) {
            p = p.substring(0, p.length() - 3);
        }
        if (p.endsWith("']")) {
            int open = p.lastIndexOf("['");
            return p.substring(open + 2, p.length() - 2);
        }
        int dot = p.lastIndexOf('.');
        return dot < 0 ? "" : p.substring(dot + 1);
    }
}
