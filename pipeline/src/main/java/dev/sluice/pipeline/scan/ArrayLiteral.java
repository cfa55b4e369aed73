package dev.sluice.pipeline.scan;

import java.util.ArrayList;
import java.util.List;

/** Reads the elements of an array in PostgreSQL's text form, any number of dimensions, flattened. */
final class ArrayLiteral {

    private ArrayLiteral() {}

    /**
     * The elements of {@code {a,"b c",NULL,{d,e}}} in order ({@code null} for an unquoted NULL), with
     * quotes and backslash escapes removed; a leading dimension decoration ({@code [1:2]=}) is
     * skipped. Text that is not an array literal gives one element, itself.
     */
    static List<String> elements(String literal) {
        String s = literal;
        if (s.startsWith("[")) {
            int eq = s.indexOf('=');
            if (eq < 0) {
                return List.of(literal);
            }
            s = s.substring(eq + 1);
        }
        if (!s.startsWith("{")) {
            return List.of(literal);
        }
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        boolean inElement = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quoted) {
                if (c == '\\' && i + 1 < s.length()) {
                    current.append(s.charAt(++i));
                } else if (c == '"') {
                    quoted = false;
                } else {
                    current.append(c);
                }
                continue;
            }
            switch (c) {
                case '{' -> {}
                case '"' -> {
                    quoted = true;
                    wasQuoted = true;
                    inElement = true;
                }
                case ',', '}' -> {
                    if (inElement) {
                        String e = current.toString();
                        out.add(!wasQuoted && e.strip().equalsIgnoreCase("NULL") ? null : wasQuoted ? e : e.strip());
                    }
                    current.setLength(0);
                    wasQuoted = false;
                    inElement = false;
                }
                case '\\' -> {
                    if (i + 1 < s.length()) {
                        current.append(s.charAt(++i));
                        inElement = true;
                    }
                }
                default -> {
                    current.append(c);
                    if (!Character.isWhitespace(c)) {
                        inElement = true;
                    }
                }
            }
        }
        return out;
    }
}
