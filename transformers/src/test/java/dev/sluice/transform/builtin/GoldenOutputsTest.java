package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.transform.Transformer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The hot transformers write exactly what they wrote before their per-value cost was cut: outputs
 * recorded with the earlier code under {@link Fixtures#KEY} for a variety of inputs (odd zones and
 * fractions, non-ASCII letters and digits, JSON with floats, exponents, escapes and duplicate keys,
 * invalid values), checked into {@code golden-outputs.tsv}. Data already anonymized must keep
 * matching what the stream and the snapshot write after an upgrade.
 */
class GoldenOutputsTest {

    /** The configurations the golden file names, by its first column. */
    static final Map<String, Spec> SPECS = specs();

    record Spec(String name, String type, Map<String, Object> params) {}

    private static Map<String, Spec> specs() {
        Map<String, Spec> s = new LinkedHashMap<>();
        String tstz = "timestamp with time zone";
        s.put("timestamp_shift", new Spec("timestamp_shift", tstz, Map.of()));
        s.put("timestamp_shift:seconds", new Spec("timestamp_shift", tstz, Map.of("max_seconds", 86_400)));
        s.put("timestamp_shift:domain", new Spec("timestamp_shift", tstz, Map.of("shift_by", "domain")));
        s.put("date_shift", new Spec("date_shift", "date", Map.of("min_days", 0, "max_days", 4000)));
        s.put("text", new Spec("text", "text", Map.of()));
        s.put("text:lorem", new Spec("text", "text", Map.of("mode", "lorem")));
        s.put("string", new Spec("string", "text", Map.of()));
        s.put("neosync_string", new Spec("neosync_string", "text", Map.of()));
        s.put("hash", new Spec("hash", "text", Map.of()));
        s.put("choice", new Spec("choice", "text", Map.of("choices", List.of("a", "b", "c", "d", "e", "f", "g"))));
        s.put("email_fpe", new Spec("email_fpe", "text", Map.of()));
        s.put("email", new Spec("email", "text", Map.of()));
        s.put("full_name", new Spec("full_name", "text", Map.of()));
        s.put("address", new Spec("address", "text", Map.of()));
        s.put("city", new Spec("city", "text", Map.of()));
        s.put("zip", new Spec("zip", "text", Map.of()));
        s.put("ip:8", new Spec("ip", "inet", Map.of("ipv4_prefix", 8)));
        s.put("ip", new Spec("ip", "inet", Map.of()));
        s.put("phone_fpe", new Spec("phone_fpe", "text", Map.of()));
        s.put("credit_card_fpe", new Spec("credit_card_fpe", "text", Map.of("keep_prefix", 6)));
        s.put("integer_fpe", new Spec("integer_fpe", "bigint", Map.of()));
        s.put("uuid_fpe", new Spec("uuid_fpe", "uuid", Map.of()));
        s.put("json:events", json(transform("ip", "ip", Map.of("ipv4_prefix", 8))));
        s.put(
                "json:customers",
                json(
                        transform("address.street", "address", Map.of()),
                        transform("address.city", "city", Map.of()),
                        transform("address.zip", "zip", Map.of())));
        s.put(
                "json:mixed",
                json(
                        transform("user.email", "email", Map.of()),
                        Map.of("operation", "delete", "path", "user.ssn"),
                        transform("items.1", "text", Map.of()),
                        transform("n", "integer_fpe", Map.of())));
        s.put(
                "json:wildcard",
                json(
                        transform("items.#.name", "text", Map.of()),
                        Map.of("operation", "set", "path", "meta.v", "value", 2, "skip_not_exist", false)));
        return s;
    }

    /** The {@code json} transformer on a jsonb column with these operations. */
    private static Spec json(Object... operations) {
        return new Spec("json", "jsonb", Map.of("operations", List.of(operations)));
    }

    private static Map<String, Object> transform(String path, String name, Map<String, Object> params) {
        return Map.of(
                "operation", "transform", "path", path, "transformer", Map.of("name", name, "parameters", params));
    }

    record Golden(String spec, String input, String output) {}

    /** What the transformer writes for the input: its output, {@code \N} for null, {@code !} and the message for a refusal. */
    static String outcome(Transformer t, String input) {
        try {
            String out = t.apply(input);
            return out == null ? "\\N" : escape(out);
        } catch (RuntimeException e) {
            return "!" + e.getClass().getSimpleName() + ": " + escape(String.valueOf(e.getMessage()));
        }
    }

    /** Backslash escapes for tab, newlines and backslash, {@code \\uXXXX} for surrogates (which may come unpaired). */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\t' -> b.append("\\t");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                default -> {
                    if (Character.isSurrogate(c)) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\') {
                char n = s.charAt(++i);
                if (n == 'u') {
                    b.append((char) Integer.parseInt(s, i + 1, i + 5, 16));
                    i += 4;
                    continue;
                }
                b.append(
                        switch (n) {
                            case 't' -> '\t';
                            case 'n' -> '\n';
                            case 'r' -> '\r';
                            default -> n;
                        });
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    static List<Golden> golden() throws IOException {
        List<Golden> out = new ArrayList<>();
        try (InputStream in = GoldenOutputsTest.class.getResourceAsStream("golden-outputs.tsv")) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                String[] f = line.split("\t", -1);
                out.add(new Golden(f[0], unescape(f[1]), f[2]));
            }
        }
        return out;
    }

    @Test
    void everyRecordedValueTransformsAsBefore() throws IOException {
        List<Golden> golden = golden();
        Map<String, Transformer> built = new LinkedHashMap<>();
        List<String> differences = new ArrayList<>();
        for (Golden g : golden) {
            Spec s = SPECS.get(g.spec());
            Transformer t = built.computeIfAbsent(g.spec(), k -> Fixtures.build(s.name(), s.type(), s.params()));
            String now = outcome(t, g.input());
            if (!now.equals(g.output())) {
                differences.add(g.spec() + " " + g.input() + ": was " + g.output() + ", now " + now);
            }
        }
        assertThat(golden).hasSizeGreaterThan(2000);
        assertThat(golden.stream().map(Golden::spec).distinct()).containsExactlyInAnyOrderElementsOf(SPECS.keySet());
        assertThat(differences).isEmpty();
    }
}
