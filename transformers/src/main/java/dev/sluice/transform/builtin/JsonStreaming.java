package dev.sluice.transform.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code json} transformer's operations applied while copying the document's text, for the
 * common rules (every operation a {@code transform} or {@code delete} of a plain key path):
 * parsing into Jackson's tree and writing it back cost more than the nested transformers.
 *
 * <p>The copy writes what the tree path writes (compact, floats as {@link BigDecimal#toString()})
 * and takes on only what it can copy so: strict JSON whose root is an object, strings without
 * escapes, control characters or surrogates (the tree writes those back unchanged), integers
 * other than {@code -0}, no duplicate keys (the tree keeps the last value at the first key's
 * place), targets that are strings, and results the tree would not escape. Anything else, invalid
 * JSON and failing nested transformers included, goes back to the tree, which then decides the
 * output or the error.
 */
final class JsonStreaming {

    /** What to do at one key: an operation there, or the keys below it that operations reach. */
    private record Step(JsonTransformer.Operation operation, Map<String, Step> below) {}

    /** Thrown when the copy cannot promise the tree's output; the caller falls back to the tree. */
    static final class Fallback extends Exception {
        private static final long serialVersionUID = 1L;

        Fallback() {
            super(null, null, false, false);
        }
    }

    private static final Fallback FALLBACK = new Fallback();

    /** Well inside Jackson's limits (nesting 1000, numbers 1000 digits, names 50000 characters). */
    private static final int MAX_DEPTH = 500;

    private static final int MAX_NUMBER = 100;
    private static final int MAX_NAME = 1000;

    /** Beyond this many keys in one object, finding duplicates by comparing costs too much. */
    private static final int MAX_KEYS = 128;

    private final Step root;

    private JsonStreaming(Step root) {
        this.root = root;
    }

    /**
     * The copy for these operations, if they allow it: each a transform or delete whose path is
     * keys only (no wildcard or index), that a missing path cannot fail, and none at or below
     * another's path (where the order of operations would matter).
     */
    static Optional<JsonStreaming> of(List<JsonTransformer.Operation> operations) {
        Map<String, Step> top = new HashMap<>();
        for (JsonTransformer.Operation op : operations) {
            boolean keysOnly = op.segments().stream().allMatch(s -> s instanceof String);
            boolean mayFail = !op.skipNotExist() && op.errorNotExist();
            if (op.kind() == JsonTransformer.Kind.SET || !keysOnly || mayFail || !add(top, op, 0)) {
                return Optional.empty();
            }
        }
        return Optional.of(new JsonStreaming(new Step(null, top)));
    }

    /** Adds the operation's path below {@code level}; false if it meets another operation's path. */
    private static boolean add(Map<String, Step> level, JsonTransformer.Operation op, int i) {
        String key = (String) op.segments().get(i);
        Step existing = level.get(key);
        if (i == op.segments().size() - 1) {
            if (existing != null) {
                return false;
            }
            level.put(key, new Step(op, Map.of()));
            return true;
        }
        if (existing == null) {
            existing = new Step(null, new HashMap<>());
            level.put(key, existing);
        } else if (existing.operation() != null) {
            return false;
        }
        return add(existing.below(), op, i + 1);
    }

    /** The transformed document, as the tree path would write it. */
    String apply(String value) throws Fallback {
        try {
            return new Copy(value).document(root);
        } catch (RuntimeException e) {
            // A failing nested transformer or a number BigDecimal refuses: the tree's message.
            throw FALLBACK;
        }
    }

    /** One document's copy: the text, the position in it, and the output. */
    private static final class Copy {
        private final String in;
        private final StringBuilder out;
        private int pos;
        private int depth;
        /** Start and end offsets of the keys of the objects being copied, innermost last. */
        private int[] keys = new int[32];

        private int keyCount;

        Copy(String in) {
            this.in = in;
            this.out = new StringBuilder(in.length() + 16);
        }

        String document(Step root) throws Fallback {
            space();
            if (peek() != '{') {
                throw FALLBACK;
            }
            object(root);
            space();
            if (pos != in.length()) {
                throw FALLBACK;
            }
            return out.toString();
        }

        private char peek() throws Fallback {
            if (pos >= in.length()) {
                throw FALLBACK;
            }
            return in.charAt(pos);
        }

        private void expect(char c) throws Fallback {
            if (peek() != c) {
                throw FALLBACK;
            }
            pos++;
        }

        private void space() {
            while (pos < in.length()) {
                char c = in.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        /** The object at the position, the operations of {@code step} applied to its keys. */
        private void object(Step step) throws Fallback {
            if (opens('{', '}')) {
                int first = keyCount;
                boolean written = false;
                while (true) {
                    space();
                    int start = string();
                    int end = pos;
                    key(first, start + 1, end - 1);
                    space();
                    expect(':');
                    space();
                    Step next = step == null ? null : step.below().get(in.substring(start + 1, end - 1));
                    int mark = out.length();
                    if (written) {
                        out.append(',');
                    }
                    out.append(in, start, end).append(':');
                    if (next == null || next.operation() == null) {
                        value(next);
                        written = true;
                    } else if (next.operation().kind() == JsonTransformer.Kind.TRANSFORM) {
                        transform(next.operation());
                        written = true;
                    } else {
                        // Read as strictly as the tree reads it, then dropped.
                        value(null);
                        out.setLength(mark);
                    }
                    space();
                    char c = peek();
                    pos++;
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw FALLBACK;
                    }
                }
                keyCount = first;
            }
            out.append('}');
            depth--;
        }

        /**
         * Records the key at {@code [from, to)} of the object whose keys start at {@code first},
         * refusing a duplicate. Offsets into the text, compared in place: no key is copied out.
         */
        private void key(int first, int from, int to) throws Fallback {
            int length = to - from;
            if (length > MAX_NAME || keyCount - first >= 2 * MAX_KEYS) {
                throw FALLBACK;
            }
            for (int k = first; k < keyCount; k += 2) {
                if (keys[k + 1] - keys[k] == length && in.regionMatches(keys[k], in, from, length)) {
                    throw FALLBACK;
                }
            }
            if (keyCount + 2 > keys.length) {
                keys = java.util.Arrays.copyOf(keys, keys.length * 2);
            }
            keys[keyCount++] = from;
            keys[keyCount++] = to;
        }

        /**
         * Copies the opening bracket of an object or array at the position; false if the
         * container is empty, its closing bracket read too.
         */
        private boolean opens(char open, char close) throws Fallback {
            if (++depth > MAX_DEPTH) {
                throw FALLBACK;
            }
            expect(open);
            out.append(open);
            space();
            if (peek() == close) {
                pos++;
                return false;
            }
            return true;
        }

        private void array() throws Fallback {
            if (opens('[', ']')) {
                while (true) {
                    space();
                    value(null);
                    space();
                    char c = peek();
                    pos++;
                    if (c == ']') {
                        break;
                    }
                    if (c != ',') {
                        throw FALLBACK;
                    }
                    out.append(',');
                }
            }
            out.append(']');
            depth--;
        }

        /** Copies the value at the position; {@code step}'s keys apply if it is an object. */
        private void value(Step step) throws Fallback {
            char c = peek();
            switch (c) {
                case '{' -> object(step);
                case '[' -> array();
                case '"' -> {
                    int start = string();
                    out.append(in, start, pos);
                }
                case 't' -> literal("true");
                case 'f' -> literal("false");
                case 'n' -> literal("null");
                default -> number();
            }
        }

        /**
         * Moves past the string at the position and returns where it started (its quote), if the
         * tree would write it back unchanged.
         */
        private int string() throws Fallback {
            int start = pos;
            expect('"');
            while (true) {
                char c = peek();
                if (c == '"') {
                    pos++;
                    return start;
                }
                if (!verbatim(c)) {
                    throw FALLBACK;
                }
                pos++;
            }
        }

        /** Jackson writes the character as it is (no escape) and reads it back alike. */
        private static boolean verbatim(char c) {
            return c >= 0x20 && c != '"' && c != '\\' && !Character.isSurrogate(c);
        }

        private void literal(String word) throws Fallback {
            if (!in.startsWith(word, pos)) {
                throw FALLBACK;
            }
            pos += word.length();
            out.append(word);
        }

        /** A JSON number: integers as written, floats as the tree's BigDecimal writes them. */
        private void number() throws Fallback {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
            } else {
                digits();
            }
            int point = -1;
            if (pos < in.length() && in.charAt(pos) == '.') {
                point = pos++;
                digits();
            }
            boolean exponent = false;
            if (pos < in.length() && (in.charAt(pos) == 'e' || in.charAt(pos) == 'E')) {
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                digits();
                exponent = true;
            }
            if (pos - start > MAX_NUMBER || in.startsWith("-0", start) && pos - start == 2) {
                throw FALLBACK;
            }
            if (point < 0 && !exponent || point >= 0 && !exponent && asBigDecimalWrites(start, point)) {
                out.append(in, start, pos);
            } else {
                out.append(new BigDecimal(in.substring(start, pos)).toString());
            }
        }

        /**
         * Whether {@link BigDecimal#toString()} gives back the decimal {@code in[start, pos)},
         * written without an exponent and with its point at {@code point}: it keeps the digits and
         * the scale, but drops the sign of a zero and writes an exponent once the first significant
         * digit lies more than six places after the point ({@code 0.0000001} is {@code 1E-7}).
         */
        private boolean asBigDecimalWrites(int start, int point) {
            int first = in.charAt(start) == '-' ? start + 1 : start;
            if (in.charAt(first) != '0') {
                return true;
            }
            int i = point + 1;
            while (i < pos && in.charAt(i) == '0') {
                i++;
            }
            // 0.000 keeps its scale as long as it has at most six fraction digits.
            return i < pos ? i - point <= 6 : first == start && pos - point - 1 <= 6;
        }

        /** One or more digits. */
        private void digits() throws Fallback {
            int start = pos;
            while (pos < in.length() && in.charAt(pos) >= '0' && in.charAt(pos) <= '9') {
                pos++;
            }
            if (pos == start) {
                throw FALLBACK;
            }
        }

        /** A string at a transform's path, transformed as the tree does; other values go back to it. */
        private void transform(JsonTransformer.Operation op) throws Fallback {
            if (peek() != '"') {
                throw FALLBACK;
            }
            int start = string();
            JsonNode v =
                    JsonTransformer.transformed(op.transformer(), TextNode.valueOf(in.substring(start + 1, pos - 1)));
            if (v.isNull()) {
                out.append("null");
                return;
            }
            String text = v.textValue();
            for (int i = 0; i < text.length(); i++) {
                if (!verbatim(text.charAt(i))) {
                    throw FALLBACK;
                }
            }
            out.append('"').append(text).append('"');
        }
    }
}
