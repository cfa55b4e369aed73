package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Partial masks: characters replaced by {@code *}. Sluice's {@code mask} keeps the first and last
 * few characters; pgstream's {@code masking} offers go-masker's types and custom ranges. A mask is
 * not keyed and keeps part of the value: it hides, it does not pseudonymize.
 */
final class Masks {

    static final List<String> TYPES = List.of(
            "custom", "password", "name", "address", "email", "mobile", "tel", "id", "credit_card", "url", "default");

    private Masks() {}

    static List<TransformerFactory> factories() {
        return List.of(Factory.elementwise("mask", Masks::mask), Factory.elementwise("masking", Masks::masking));
    }

    /**
     * Keeps {@code keep_first} and {@code keep_last} characters (default 0) and characters listed in
     * {@code keep_chars} (say {@code "@.-"}), and writes {@code mask_char} (default {@code *}) over
     * the rest, length kept. A value too short to keep that much is masked entirely, so a short
     * value is never passed through.
     */
    static Transformer mask(TransformerContext c) {
        ColumnTypes.require(c, "mask", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        int first = (int) p.integer("keep_first", 0, 0, 10_000);
        int last = (int) p.integer("keep_last", 0, 0, 10_000);
        String maskChar = p.string("mask_char", "*");
        String keep = p.string("keep_chars", "");
        if (maskChar.codePointCount(0, maskChar.length()) != 1) {
            throw p.invalid("mask_char", maskChar, "one character");
        }
        p.requireAllUsed();
        int m = maskChar.codePointAt(0);
        return transformer(Uniqueness.NONE, value -> {
            int[] cps = value.codePoints().toArray();
            boolean all = first + last >= cps.length;
            StringBuilder b = new StringBuilder(value.length());
            for (int i = 0; i < cps.length; i++) {
                boolean kept = !all && (i < first || i >= cps.length - last) || keep.indexOf(cps[i]) >= 0;
                b.appendCodePoint(kept ? cps[i] : m);
            }
            return b.toString();
        });
    }

    /** pgstream's masking: {@code type} and, for {@code custom}, mask or unmask begin/end. */
    static Transformer masking(TransformerContext c) {
        ColumnTypes.require(c, "masking", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        String type = p.choice("type", "default", TYPES);
        UnaryOperator<String> f = type.equals("custom") ? custom(p) : byType(type);
        p.requireAllUsed();
        return transformer(Uniqueness.NONE, f);
    }

    /** go-masker's masks, as pgstream applies them (characters, not bytes). */
    static UnaryOperator<String> byType(String type) {
        return switch (type) {
            case "password" -> v -> v.isEmpty() ? "" : "************";
            case "name" -> Masks::name;
            case "address" ->
                v -> v.codePointCount(0, v.length()) <= 6 ? "******" : overlay(v, "******", 6, Integer.MAX_VALUE);
            case "email" -> Masks::email;
            case "mobile" -> v -> v.isEmpty() ? "" : overlay(v, "***", 4, 7);
            case "tel" -> Masks::telephone;
            case "id" -> v -> v.isEmpty() ? "" : overlay(v, "****", 6, 10);
            case "credit_card" -> v -> v.isEmpty() ? "" : overlay(v, "******", 6, 12);
            case "url" -> Masks::url;
            case "default" -> v -> "*".repeat(v.codePointCount(0, v.length()));
            default -> throw new IllegalArgumentException(type);
        };
    }

    /** The characters {@code [start, end)} replaced by {@code overlay}, bounds clipped to the value. */
    static String overlay(String v, String overlay, int start, int end) {
        int[] cps = v.codePoints().toArray();
        int s = Math.min(start, cps.length);
        int e = Math.min(end, cps.length);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s; i++) {
            b.appendCodePoint(cps[i]);
        }
        b.append(overlay);
        for (int i = e; i < cps.length; i++) {
            b.appendCodePoint(cps[i]);
        }
        return b.toString();
    }

    private static String name(String v) {
        if (v.isEmpty()) {
            return "";
        }
        if (v.contains(" ")) {
            return String.join(
                    " ", Arrays.stream(v.split(" ", -1)).map(Masks::name).toList());
        }
        int n = v.codePointCount(0, v.length());
        if (n == 1) {
            return "**";
        }
        if (n <= 3) {
            return overlay(v, "**", 1, 2);
        }
        return overlay(v, "**", 1, 3);
    }

    private static String email(String v) {
        int at = v.lastIndexOf('@');
        if (at < 0) {
            return overlay(v, "****", 3, 7);
        }
        return overlay(v.substring(0, at), "****", 3, 7) + v.substring(at);
    }

    /**
     * go-masker's telephone mask for 8- and 10-digit numbers; any other length, where go-masker
     * passes the value through, is masked but for its first four characters (fail closed).
     */
    private static String telephone(String v) {
        if (v.isEmpty()) {
            return "";
        }
        String s = v.replace(" ", "").replace("(", "").replace(")", "").replace("-", "");
        int n = s.codePointCount(0, s.length());
        if (n == 10) {
            return "(" + s.substring(0, 2) + ")" + s.substring(2, 6) + "-****";
        }
        if (n == 8) {
            return s.substring(0, 4) + "-****";
        }
        return overlay(s, "*".repeat(Math.max(n - 4, 1)), Math.min(4, Math.max(n - 1, 0)), Integer.MAX_VALUE);
    }

    private static final Pattern URL_PASSWORD = Pattern.compile("^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/@]*:)([^@/]*)(@.*)$");

    private static String url(String v) {
        Matcher m = URL_PASSWORD.matcher(v);
        return m.matches() ? m.group(1) + "xxxxx" + m.group(3) : v;
    }

    /**
     * Custom ranges: {@code mask_begin}/{@code mask_end} mask a range, {@code
     * unmask_begin}/{@code unmask_end} mask all but a range; each an index or a percentage of the
     * length ({@code "15%"}). A mask that covers nothing is refused.
     */
    private static UnaryOperator<String> custom(Parameters p) {
        Optional<String> mb = p.string("mask_begin");
        Optional<String> me = p.string("mask_end");
        Optional<String> ub = p.string("unmask_begin");
        Optional<String> ue = p.string("unmask_end");
        if ((mb.isPresent() || me.isPresent()) && (ub.isPresent() || ue.isPresent())) {
            throw p.invalid(
                    "unmask_begin", ub.or(() -> ue).get(), "mask_begin/mask_end or unmask_begin/unmask_end, not both");
        }
        boolean mask = ub.isEmpty() && ue.isEmpty();
        Index begin = index(p, mask ? "mask_begin" : "unmask_begin", mask ? mb : ub, new Index(0, false));
        Index end = index(p, mask ? "mask_end" : "unmask_end", mask ? me : ue, new Index(100, false));
        boolean nothing = mask
                ? begin.absolute() == end.absolute() && begin.clipped() == end.clipped()
                : begin.n() <= 0 && !end.absolute() && end.n() >= 100;
        if (nothing) {
            throw p.invalid(
                    mask ? "mask_end" : "unmask_end",
                    mask ? me.orElse("100%") : ue.orElse("100%"),
                    "a range that masks at least one character (use noop to pass a column through)");
        }
        return v -> {
            int[] cps = v.codePoints().toArray();
            int n = cps.length;
            int b = begin.at(n);
            int e = end.at(n);
            if (b > e) {
                int t = b;
                b = e;
                e = t;
            }
            StringBuilder out = new StringBuilder(v.length());
            for (int i = 0; i < n; i++) {
                boolean inside = i >= b && i < e;
                out.appendCodePoint(inside == mask ? '*' : cps[i]);
            }
            return out.toString();
        };
    }

    private record Index(int n, boolean absolute) {
        int clipped() {
            return Math.max(0, absolute ? n : Math.min(n, 100));
        }

        int at(int length) {
            int clipped = Math.max(0, Math.min(n, absolute ? length : 100));
            return absolute ? clipped : length * clipped / 100;
        }
    }

    private static Index index(Parameters p, String name, Optional<String> raw, Index fallback) {
        if (raw.isEmpty()) {
            return fallback;
        }
        String s = raw.get().strip();
        boolean percent = s.endsWith("%");
        try {
            return new Index(
                    Integer.parseInt(percent ? s.substring(0, s.length() - 1).strip() : s), !percent);
        } catch (NumberFormatException e) {
            throw p.invalid(name, s, "a character index or a percentage such as \"15%\"");
        }
    }
}
