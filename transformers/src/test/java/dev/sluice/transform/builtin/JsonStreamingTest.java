package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformerContext;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;
import org.junit.jupiter.api.Test;

/**
 * The {@code json} transformer's copy of the document's text writes exactly what the tree path
 * writes, or leaves the document to the tree: for generated documents with nested objects and
 * arrays, every number form, escapes, non-ASCII text, duplicate keys, non-object roots and invalid
 * JSON.
 */
class JsonStreamingTest {

    private static final List<String> KEYS = List.of("ip", "a", "b", "c", "d", "address", "street", "city", "zip");

    private static Map<String, Object> transform(String path, String name, Map<String, Object> params) {
        return Map.of(
                "operation", "transform", "path", path, "transformer", Map.of("name", name, "parameters", params));
    }

    private static JsonTransformer json(List<Map<String, Object>> operations) {
        return (JsonTransformer) JsonTransformer.create(new TransformerContext(
                "public.t.c", "jsonb", new Parameters("t", "json", Map.of("operations", operations)), Fixtures.KEY));
    }

    private static final List<JsonTransformer> RULES = List.of(
            json(List.of(transform("ip", "ip", Map.of("ipv4_prefix", 8)))),
            json(List.of(
                    transform("address.street", "text", Map.of()),
                    transform("address.city", "text", Map.of()),
                    transform("address.zip", "text", Map.of()))),
            json(List.of(
                    transform("a.b", "text", Map.of()),
                    Map.of("operation", "delete", "path", "a.c"),
                    transform("d", "text", Map.of()),
                    Map.of("operation", "delete", "path", "zip"))),
            // Writes booleans back as booleans, and fails on anything else.
            json(List.of(transform("c", "boolean", Map.of()))));

    private static String outcome(JsonTransformer t, String doc, boolean tree) {
        try {
            return tree ? t.applyTree(doc) : t.apply(doc);
        } catch (RuntimeException e) {
            return e.getClass().getSimpleName() + ": " + e.getMessage();
        }
    }

    @Provide
    Arbitrary<String> documents() {
        Arbitrary<String> doc = Arbitraries.lazyOf(() -> object(0), () -> value(0));
        Arbitrary<String> broken = Arbitraries.of(
                "",
                " ",
                "not json",
                "{",
                "{\"ip\": 1} trailing",
                "{\"a\":1}{\"b\":2}",
                "{\"ip\":\"1.2.3.4\",}",
                "[1,2");
        return Arbitraries.frequencyOf(Tuple.of(12, doc), Tuple.of(1, broken));
    }

    private static Arbitrary<String> space() {
        return Arbitraries.of("", "", " ", "\n  ", "\t");
    }

    private static Arbitrary<String> text() {
        Arbitrary<String> clean = Arbitraries.strings()
                .withChars("abcXYZ019 .-@/")
                .withChars('é', 'Ж', '中', '٣', '\u2028', '\u007f')
                .ofMaxLength(16);
        Arbitrary<String> odd = Arbitraries.strings()
                .withChars("abc ")
                .withChars('"', '\\', '\t', '\n', '\u0001', '\uD83D', '\uDE00')
                .ofMaxLength(8);
        Arbitrary<String> ip = Combinators.combine(
                        Arbitraries.integers().between(0, 255),
                        Arbitraries.integers().between(0, 255))
                .as((x, y) -> x + "." + y + ".3.4");
        Arbitrary<String> plain = Arbitraries.oneOf(clean, ip, Arbitraries.of("12345", "2001:db8::1", "10.0.0.0/8"))
                .map(s -> quote(s, false));
        Arbitrary<String> escaped = Arbitraries.oneOf(clean, odd).map(s -> quote(s, true));
        return Arbitraries.frequencyOf(
                Tuple.of(8, plain), Tuple.of(1, escaped), Tuple.of(1, odd.map(s -> quote(s, false))));
    }

    /** JSON string literal, non-ASCII optionally as \\u escapes. */
    private static String quote(String s, boolean unicodeEscapes) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c == '/' && unicodeEscapes) {
                b.append("\\/");
            } else if (c < 0x20 || (c >= 0x80 && unicodeEscapes)) {
                b.append(String.format("\\u%04X", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static Arbitrary<String> number() {
        return Arbitraries.oneOf(
                Arbitraries.of(
                        "0",
                        "-0",
                        "7",
                        "-17",
                        "2147483647",
                        "2147483648",
                        "-2147483649",
                        "9223372036854775807",
                        "9223372036854775808",
                        "-9223372036854775809",
                        "123456789012345678901234567890",
                        "1.0",
                        "1.50",
                        "-2.500",
                        "0.0",
                        "-0.0",
                        "1e10",
                        "1E-7",
                        "-3.25e+2",
                        "1.0E2",
                        "5e0",
                        "12345678901234567890.50",
                        "1e400",
                        "4.9e-325",
                        "0.000001000"),
                Arbitraries.doubles().map(String::valueOf),
                Arbitraries.longs().map(String::valueOf),
                decimal());
    }

    /**
     * Decimals without an exponent, around where BigDecimal starts writing one: a zero or nonzero
     * whole part, then up to nine zeros and maybe more digits after the point.
     */
    private static Arbitrary<String> decimal() {
        return Combinators.combine(
                        Arbitraries.of("", "-"),
                        Arbitraries.of("0", "1", "10", "987654321"),
                        Arbitraries.integers().between(0, 9),
                        Arbitraries.strings().numeric().ofMaxLength(4))
                .as((sign, whole, zeros, rest) -> sign + whole + "." + "0".repeat(zeros) + rest)
                .filter(d -> !d.endsWith("."));
    }

    @Property(tries = 2000)
    void decimalsAreWrittenAsTheTreeWritesThem(@ForAll("decimals") String decimal) {
        String doc = "{\"ip\": \"10.1.2.3\", \"value\": " + decimal + "}";
        for (JsonTransformer t : RULES) {
            assertThat(outcome(t, doc, false)).as(doc).isEqualTo(outcome(t, doc, true));
            assertThat(copied(t, doc)).as(doc).isTrue();
        }
    }

    @Provide
    Arbitrary<String> decimals() {
        return decimal();
    }

    private static Arbitrary<String> value(int depth) {
        Arbitrary<String> scalar = Arbitraries.oneOf(text(), number(), Arbitraries.of("true", "false", "null"));
        if (depth > 3) {
            return scalar;
        }
        return Arbitraries.frequencyOf(
                Tuple.of(6, scalar),
                Tuple.of(2, Arbitraries.lazy(() -> object(depth + 1))),
                Tuple.of(1, Arbitraries.lazy(() -> array(depth + 1))));
    }

    private static Arbitrary<String> array(int depth) {
        return Combinators.combine(value(depth).list().ofMaxSize(4), space())
                .as((items, s) -> "[" + s + String.join("," + s, items) + "]");
    }

    private static Arbitrary<String> object(int depth) {
        Arbitrary<String> field = Combinators.combine(
                        Arbitraries.of(KEYS), value(depth), space(), Arbitraries.of(true, false))
                .as((k, v, s, esc) -> quote(k, esc) + s + ":" + s + v);
        return Combinators.combine(field.list().ofMaxSize(5), space())
                .as((fields, s) -> s + "{" + s + String.join("," + s, fields) + s + "}" + s);
    }

    @Property(tries = 5000)
    @StatisticsReport(StatisticsReport.StatisticsReportMode.OFF)
    void copyWritesWhatTheTreeWrites(@ForAll("documents") String doc) {
        for (JsonTransformer t : RULES) {
            assertThat(outcome(t, doc, false)).as(doc).isEqualTo(outcome(t, doc, true));
            Statistics.label("copied").collect(copied(t, doc));
        }
        // The comparison means little unless the copy, not the fallback, wrote many of the outputs.
        Statistics.label("copied").coverage(c -> c.check(true).percentage(p -> p > 15));
    }

    private static boolean copied(JsonTransformer t, String doc) {
        try {
            t.streaming().apply(doc);
            return true;
        } catch (JsonStreaming.Fallback e) {
            return false;
        }
    }

    @Test
    void documentsLikeTheBenchmarksAreCopied() throws Exception {
        String event = "{\"ip\": \"10.1.2.3\", \"kind\": \"view\", \"amount\": 12.50, \"tags\": [\"a\", 1, null, true],"
                + " \"at\": {\"ms\": 1700000000000}}";
        String profile = "{\"address\": {\"street\": \"1 Main St\", \"city\": \"Zürich\", \"zip\": \"8001\"},"
                + " \"prefs\": {\"lang\": \"de\"}, \"score\": -3.25e+2}";
        for (JsonTransformer t : RULES.subList(0, 3)) {
            for (String doc : List.of(event, profile)) {
                assertThat(t.streaming().apply(doc)).isEqualTo(t.applyTree(doc));
            }
        }
    }

    @Test
    void onlyKeyPathsThatDoNotOverlapAreCopied() {
        assertThat(RULES).allSatisfy(t -> assertThat(t.streaming()).isNotNull());
        assertThat(json(List.of(transform("a", "text", Map.of()), transform("a.b", "text", Map.of())))
                        .streaming())
                .isNull();
        assertThat(json(List.of(transform("items.#.name", "text", Map.of()))).streaming())
                .isNull();
        assertThat(json(List.of(transform("items.0", "text", Map.of()))).streaming())
                .isNull();
        assertThat(json(List.of(Map.of("operation", "set", "path", "a", "value", 1)))
                        .streaming())
                .isNull();
    }
}
