package dev.sluice.transform.builtin;

import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;

/**
 * Applies an element transformer to every element of a PostgreSQL array literal ({@code
 * {a,"b c",NULL}}, nested dimensions and a {@code [1:2]=} decoration included), keeping NULL
 * elements and the shape.
 */
final class ArrayValues implements Transformer {

    private final Transformer element;

    ArrayValues(Transformer element) {
        this.element = element;
    }

    @Override
    public Uniqueness uniqueness() {
        return element.uniqueness();
    }

    @Override
    public String apply(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        int i = 0;
        if (value.startsWith("[")) {
            int eq = value.indexOf('=');
            if (eq < 0) {
                throw notArray();
            }
            out.append(value, 0, eq + 1);
            i = eq + 1;
        }
        i = array(value, skip(value, i), out);
        if (skip(value, i) != value.length()) {
            throw notArray();
        }
        return out.toString();
    }

    private int array(String s, int i, StringBuilder out) {
        if (i >= s.length() || s.charAt(i) != '{') {
            throw notArray();
        }
        out.append('{');
        i = skip(s, i + 1);
        if (i < s.length() && s.charAt(i) == '}') {
            out.append('}');
            return i + 1;
        }
        while (true) {
            i = skip(s, i);
            if (i >= s.length()) {
                throw notArray();
            }
            char c = s.charAt(i);
            if (c == '{') {
                i = array(s, i, out);
            } else if (c == '"') {
                StringBuilder v = new StringBuilder();
                i++;
                while (true) {
                    if (i >= s.length()) {
                        throw notArray();
                    }
                    char d = s.charAt(i++);
                    if (d == '"') {
                        break;
                    }
                    if (d == '\\') {
                        if (i >= s.length()) {
                            throw notArray();
                        }
                        d = s.charAt(i++);
                    }
                    v.append(d);
                }
                emit(element.apply(v.toString()), out);
            } else {
                StringBuilder v = new StringBuilder();
                boolean escaped = false;
                int lastSignificant = 0;
                while (i < s.length()) {
                    char d = s.charAt(i);
                    if (d == ',' || d == '}') {
                        break;
                    }
                    if (d == '{' || d == '"') {
                        throw notArray();
                    }
                    i++;
                    if (d == '\\') {
                        if (i >= s.length()) {
                            throw notArray();
                        }
                        v.append(s.charAt(i++));
                        escaped = true;
                        lastSignificant = v.length();
                    } else {
                        v.append(d);
                        if (!Character.isWhitespace(d)) {
                            lastSignificant = v.length();
                        }
                    }
                }
                v.setLength(lastSignificant);
                String text = v.toString();
                if (!escaped && text.equalsIgnoreCase("NULL")) {
                    out.append("NULL");
                } else {
                    emit(element.apply(text), out);
                }
            }
            i = skip(s, i);
            if (i >= s.length()) {
                throw notArray();
            }
            char sep = s.charAt(i++);
            if (sep == ',') {
                out.append(',');
            } else if (sep == '}') {
                out.append('}');
                return i;
            } else {
                throw notArray();
            }
        }
    }

    private static void emit(String v, StringBuilder out) {
        if (v == null) {
            out.append("NULL");
            return;
        }
        boolean quote = v.isEmpty() || v.equalsIgnoreCase("NULL");
        for (int k = 0; k < v.length() && !quote; k++) {
            char c = v.charAt(k);
            quote = c == '{' || c == '}' || c == ',' || c == '"' || c == '\\' || Character.isWhitespace(c);
        }
        if (!quote) {
            out.append(v);
            return;
        }
        out.append('"');
        for (int k = 0; k < v.length(); k++) {
            char c = v.charAt(k);
            if (c == '"' || c == '\\') {
                out.append('\\');
            }
            out.append(c);
        }
        out.append('"');
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    private static TransformException notArray() {
        return new TransformException("not a PostgreSQL array literal");
    }
}
