package dev.sluice.bench;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.builtin.Builtins;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one value through a built-in transformer, cycling over 4096 distinct realistic
 * inputs so caches do not flatter it. {@code case} is the transformer's name and, after a colon,
 * a variant of its parameters.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class TransformerBench {

    private static final int INPUTS = 4096;

    @Param({
        "noop",
        "email",
        "email:preserve_length",
        "neosync_email",
        "email_fpe",
        "first_name",
        "full_name",
        "address",
        "phone",
        "phone_fpe",
        "credit_card",
        "credit_card_fpe",
        "ssn_fpe",
        "integer_fpe:small",
        "integer_fpe:bigint",
        "ip",
        "uuid",
        "uuid_fpe",
        "date_shift",
        "number_noise",
        "text",
        "hash",
        "masking",
        "json",
        "json:events",
        "json:customers",
        "encrypted_aes_siv"
    })
    public String cases;

    private Transformer transformer;
    private String[] inputs;
    private int next;

    private record Spec(String name, String type, Map<String, Object> params, IntFunction<String> input) {}

    @Setup
    public void setUp() {
        DomainKey key = Keyring.of(
                        HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"))
                .domain("bench");
        SplittableRandom r = new SplittableRandom(42);
        Spec spec = spec(cases, r);
        transformer = Builtins.all().stream()
                .filter(f -> f.name().equals(spec.name()))
                .findFirst()
                .orElseThrow()
                .create(new TransformerContext(
                        "public.bench.c", spec.type(), new Parameters("bench", spec.name(), spec.params()), key));
        inputs = new String[INPUTS];
        for (int i = 0; i < INPUTS; i++) {
            inputs[i] = spec.input().apply(i);
        }
    }

    private static Spec spec(String c, SplittableRandom r) {
        IntFunction<String> email = i -> "user." + r.nextInt(1_000_000) + "@example" + (i % 50) + ".com";
        IntFunction<String> phone =
                i -> String.format("+1 (%03d) %03d-%04d", r.nextInt(1000), r.nextInt(1000), r.nextInt(10000));
        IntFunction<String> card = i -> {
            String body = "4" + String.format("%014d", r.nextLong(100_000_000_000_000L));
            int sum = 0;
            boolean dbl = true;
            for (int k = body.length() - 1; k >= 0; k--) {
                int d = (body.charAt(k) - '0') * (dbl ? 2 : 1);
                sum += d > 9 ? d - 9 : d;
                dbl = !dbl;
            }
            return body + (10 - sum % 10) % 10;
        };
        return switch (c) {
            case "noop" -> new Spec("noop", null, Map.of(), i -> "value" + i);
            case "email" -> new Spec("email", "text", Map.of(), email);
            case "email:preserve_length" ->
                new Spec("email", "text", Map.of("preserve_length", true, "preserve_domain", true), email);
            case "neosync_email" -> new Spec("neosync_email", "text", Map.of(), email);
            case "email_fpe" -> new Spec("email_fpe", "text", Map.of(), email);
            case "first_name" -> new Spec("first_name", "text", Map.of(), i -> "Name" + r.nextInt(100_000));
            case "full_name" -> new Spec("full_name", "text", Map.of(), i -> "First" + i + " Last" + r.nextInt(1000));
            case "address" -> new Spec("address", "text", Map.of(), i -> r.nextInt(9999) + " Main Street");
            case "phone" -> new Spec("phone", "text", Map.of(), phone);
            case "phone_fpe" -> new Spec("phone_fpe", "text", Map.of(), phone);
            case "credit_card" -> new Spec("credit_card", "text", Map.of("keep_prefix", 6), card);
            case "credit_card_fpe" -> new Spec("credit_card_fpe", "text", Map.of("keep_prefix", 6), card);
            case "ssn_fpe" ->
                new Spec(
                        "ssn_fpe",
                        "text",
                        Map.of(),
                        i -> String.format(
                                "%03d-%02d-%04d", 1 + r.nextInt(665), 1 + r.nextInt(99), 1 + r.nextInt(9999)));
            case "integer_fpe:small" ->
                new Spec("integer_fpe", "integer", Map.of(), i -> Integer.toString(1 + r.nextInt(99_999)));
            case "integer_fpe:bigint" ->
                new Spec("integer_fpe", "bigint", Map.of(), i -> Long.toString(r.nextLong(1L << 40, 1L << 62)));
            case "ip" ->
                new Spec("ip", "inet", Map.of("ipv4_prefix", 16), i -> "10.1." + r.nextInt(256) + "." + r.nextInt(256));
            case "uuid" ->
                new Spec("uuid", "uuid", Map.of(), i -> new java.util.UUID(r.nextLong(), r.nextLong()).toString());
            case "uuid_fpe" ->
                new Spec(
                        "uuid_fpe",
                        "uuid",
                        Map.of(),
                        i -> java.util
                                .UUID
                                .nameUUIDFromBytes(new byte[] {(byte) i, (byte) (i >> 8)})
                                .toString());
            case "date_shift" ->
                new Spec(
                        "date_shift",
                        "timestamp with time zone",
                        Map.of(),
                        i -> String.format(
                                "20%02d-%02d-%02d 12:34:56.789+02",
                                r.nextInt(30), 1 + r.nextInt(12), 1 + r.nextInt(28)));
            case "number_noise" ->
                new Spec("number_noise", "numeric", Map.of(), i -> r.nextInt(1_000_000) + "." + r.nextInt(100));
            case "text" ->
                new Spec("text", "text", Map.of(), i -> "Call John Smith at 555-0100 about order " + i + ".");
            case "hash" -> new Spec("hash", "text", Map.of("length", 32), i -> "token-" + r.nextLong());
            case "masking" -> new Spec("masking", "text", Map.of("type", "email"), email);
            case "json" ->
                new Spec(
                        "json",
                        "jsonb",
                        Map.of(
                                "operations",
                                List.of(
                                        Map.of(
                                                "operation",
                                                "transform",
                                                "path",
                                                "user.email",
                                                "transformer",
                                                Map.of("name", "email")),
                                        Map.of("operation", "delete", "path", "user.ssn"))),
                        i -> "{\"user\": {\"email\": \"" + email.apply(i) + "\", \"ssn\": \"123-45-6789\", \"n\": " + i
                                + "}}");
            // The documents and rules of bench/snapshot.d (data.sql, transform.yaml), as PostgreSQL
            // prints jsonb.
            case "json:events" ->
                new Spec(
                        "json",
                        "jsonb",
                        Map.of("operations", List.of(transform("ip", "ip", Map.of("ipv4_prefix", 8)))),
                        i -> "{\"ip\": \"10." + i % 256 + "." + r.nextInt(256) + "." + i % 7
                                + "\", \"agent\": \"firefox\","
                                + " \"value\": " + r.nextInt(10000) / 100.0 + ", \"session\": \""
                                + HexFormat.of().toHexDigits(r.nextLong())
                                + HexFormat.of().toHexDigits(r.nextLong())
                                + "\"}");
            case "json:customers" ->
                new Spec(
                        "json",
                        "jsonb",
                        Map.of(
                                "operations",
                                List.of(
                                        transform("address.street", "address", Map.of()),
                                        transform("address.city", "city", Map.of()),
                                        transform("address.zip", "zip", Map.of()))),
                        i -> "{\"tags\": [\"t" + i % 17 + "\", \"t" + i % 29
                                + "\"], \"tier\": \"pro\", \"address\": {\"zip\":"
                                + " \"" + String.format("%05d", r.nextInt(99999)) + "\", \"city\": \"City " + i % 5000
                                + "\", \"street\": \"" + i % 999 + " Main Street\"}, \"newsletter\": " + (i % 3 == 0)
                                + "}");
            case "encrypted_aes_siv" -> new Spec("encrypted_aes_siv", "text", Map.of(), email);
            default -> throw new IllegalArgumentException(c);
        };
    }

    private static Map<String, Object> transform(String path, String name, Map<String, Object> parameters) {
        return Map.of(
                "operation", "transform", "path", path, "transformer", Map.of("name", name, "parameters", parameters));
    }

    @Benchmark
    public String apply() {
        String v = inputs[next];
        next = (next + 1) & (INPUTS - 1);
        return transformer.apply(v);
    }
}
