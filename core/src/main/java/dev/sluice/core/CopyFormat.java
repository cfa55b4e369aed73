package dev.sluice.core;

import dev.sluice.core.event.Tuple;

/**
 * PostgreSQL's {@code COPY} text format: tab-separated fields, one row per line, {@code \N} for
 * NULL, and backslash escapes for the characters that would end a field or a row.
 */
public final class CopyFormat {

    private CopyFormat() {}

    /** Appends the given columns of a row, in that order, as one line. */
    public static void appendRow(StringBuilder out, Tuple row, int[] columns) {
        for (int c = 0; c < columns.length; c++) {
            if (c > 0) {
                out.append('\t');
            }
            appendValue(out, row.get(columns[c]));
        }
        out.append('\n');
    }

    /** Appends one field, escaped. */
    public static void appendValue(StringBuilder out, String value) {
        if (value == null) {
            out.append("\\N");
            return;
        }
        int first = firstSpecial(value);
        if (first < 0) {
            out.append(value);
            return;
        }
        out.append(value, 0, first);
        for (int i = first; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c);
            }
        }
    }

    private static int firstSpecial(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Splits one line of {@code COPY ... TO STDOUT} output (without its newline) into field values,
     * {@code null} for NULL. Accepts every escape the server writes, and the octal and hex forms.
     */
    public static String[] parseLine(String line, int expectedFields) {
        // A tab inside a value is always written escaped, so every raw tab separates fields.
        String[] fields = new String[expectedFields];
        int count = 0;
        int start = 0;
        while (true) {
            int tab = line.indexOf('\t', start);
            String raw = tab < 0 ? line.substring(start) : line.substring(start, tab);
            Preconditions.requireState(count < expectedFields, "COPY row has more than %d fields", expectedFields);
            fields[count++] = parseValue(raw);
            if (tab < 0) {
                break;
            }
            start = tab + 1;
        }
        Preconditions.requireState(
                count == expectedFields, "COPY row has %d fields, expected %d", count, expectedFields);
        return fields;
    }

    /** One field of a {@code COPY} line as it stands between tabs: its value, {@code null} for NULL. */
    public static String parseValue(String raw) {
        return raw.equals("\\N") ? null : unescape(raw);
    }

    private static String unescape(String raw) {
        int backslash = raw.indexOf('\\');
        if (backslash < 0) {
            return raw;
        }
        StringBuilder out = new StringBuilder(raw.length());
        out.append(raw, 0, backslash);
        int n = raw.length();
        int i = backslash;
        while (i < n) {
            char c = raw.charAt(i++);
            if (c != '\\' || i == n) {
                out.append(c);
                continue;
            }
            char e = raw.charAt(i++);
            switch (e) {
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'v' -> out.append('\u000B');
                case 'x' -> {
                    int end = i;
                    while (end < n && end < i + 2 && Character.digit(raw.charAt(end), 16) >= 0) {
                        end++;
                    }
                    if (end == i) {
                        out.append('x');
                    } else {
                        out.append((char) Integer.parseInt(raw.substring(i, end), 16));
                        i = end;
                    }
                }
                default -> {
                    if (e >= '0' && e <= '7') {
                        int end = i;
                        while (end < n && end < i + 2 && raw.charAt(end) >= '0' && raw.charAt(end) <= '7') {
                            end++;
                        }
                        out.append((char) Integer.parseInt(raw.substring(i - 1, end), 8));
                        i = end;
                    } else {
                        out.append(e);
                    }
                }
            }
        }
        return out.toString();
    }
}
