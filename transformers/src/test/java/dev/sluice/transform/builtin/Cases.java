package dev.sluice.transform.builtin;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiPredicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * One configured transformer per case, with inputs it accepts and a check of its output format
 * (given the input). Shared by the property tests.
 */
final class Cases {

    record Case(
            String name,
            String type,
            Map<String, Object> params,
            Arbitrary<String> inputs,
            BiPredicate<String, String> valid,
            boolean keyed) {

        @Override
        public String toString() {
            return name + params;
        }
    }

    private Cases() {}

    static Arbitrary<String> emails() {
        Arbitrary<String> local = Arbitraries.strings()
                .withChars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-")
                .ofMinLength(1)
                .ofMaxLength(20);
        Arbitrary<String> dotted =
                Combinators.combine(local, local, Arbitraries.of(true, false)).as((a, b, dot) -> dot ? a + "." + b : a);
        Arbitrary<String> domain = Arbitraries.of("gmail.com", "corp.example.co.uk", "x.io", "mail-1.acme.org");
        return Combinators.combine(dotted, domain).as((l, d) -> l + "@" + d);
    }

    static Arbitrary<String> words() {
        return Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(14);
    }

    static Arbitrary<String> phones() {
        Arbitrary<String> digits = Arbitraries.strings().numeric().ofLength(10);
        return Combinators.combine(digits, Arbitraries.integers().between(0, 3)).as((d, style) -> switch (style) {
            case 0 -> d;
            case 1 -> "+1 (" + d.substring(0, 3) + ") " + d.substring(3, 6) + "-" + d.substring(6);
            case 2 -> "+44 " + d.substring(0, 4) + " " + d.substring(4);
            default -> d.substring(0, 3) + "." + d.substring(3, 6) + "." + d.substring(6);
        });
    }

    static Arbitrary<String> cards() {
        return Combinators.combine(
                        Arbitraries.strings().numeric().ofMinLength(11).ofMaxLength(18), Arbitraries.of(true, false))
                .as((body, spaced) -> {
                    byte[] b = new byte[body.length()];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = (byte) (body.charAt(i) - '0');
                    }
                    String n = body + Digits.luhnCheckDigit(b);
                    return spaced ? n.replaceAll("(\\d{4})(?=\\d)", "$1 ") : n;
                });
    }

    static Arbitrary<String> ssns() {
        return Combinators.combine(
                        Arbitraries.integers().between(1, 899).filter(a -> a != 666),
                        Arbitraries.integers().between(1, 99),
                        Arbitraries.integers().between(1, 9999),
                        Arbitraries.of(true, false))
                .as((a, g, s, dashed) ->
                        dashed ? String.format("%03d-%02d-%04d", a, g, s) : String.format("%03d%02d%04d", a, g, s));
    }

    static Arbitrary<String> integers() {
        return Arbitraries.oneOf(
                Arbitraries.longs().map(String::valueOf),
                Arbitraries.longs().between(-100_000, 100_000).map(String::valueOf));
    }

    static Arbitrary<String> ipv4() {
        return Arbitraries.integers()
                .between(0, 255)
                .list()
                .ofSize(4)
                .map(l -> String.join(".", l.stream().map(String::valueOf).toList()));
    }

    static Arbitrary<String> ipv6() {
        return Arbitraries.integers()
                .between(0, 0xffff)
                .list()
                .ofSize(8)
                .map(l -> NetworkTransformers.format6(bits(l)));
    }

    private static byte[] bits(List<Integer> groups) {
        byte[] bits = new byte[128];
        for (int g = 0; g < 8; g++) {
            for (int b = 0; b < 16; b++) {
                bits[g * 16 + b] = (byte) ((groups.get(g) >>> (15 - b)) & 1);
            }
        }
        return bits;
    }

    static Arbitrary<String> uuids() {
        return Arbitraries.randomValue(r -> new java.util.UUID(r.nextLong(), r.nextLong()).toString());
    }

    static Arbitrary<String> dates() {
        return Arbitraries.longs()
                .between(
                        LocalDate.of(1900, 1, 1).toEpochDay(),
                        LocalDate.of(2100, 1, 1).toEpochDay())
                .map(d -> LocalDate.ofEpochDay(d).toString());
    }

    static Arbitrary<String> timestamps() {
        return Combinators.combine(
                        dates(),
                        Arbitraries.integers().between(0, 86_399),
                        Arbitraries.of("", ".5", ".123456"),
                        Arbitraries.of("", "+00", "+05:30", "-08"))
                .as((d, s, frac, zone) ->
                        d + String.format(" %02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) + frac + zone);
    }

    static Arbitrary<String> decimals() {
        return Arbitraries.bigDecimals()
                .between(new java.math.BigDecimal("-1000000"), new java.math.BigDecimal("1000000"))
                .ofScale(2)
                .map(java.math.BigDecimal::toPlainString);
    }

    static Arbitrary<String> text() {
        return Arbitraries.strings()
                .withCharRange(' ', '~')
                .withChars("éß漢")
                .ofMinLength(1)
                .ofMaxLength(80);
    }

    static boolean sameSkeleton(String in, String out) {
        return in.replaceAll("\\d", "0").equals(out.replaceAll("\\d", "0"));
    }

    static boolean isEmail(String in, String out) {
        return Fixtures.EMAIL.matcher(out).matches();
    }

    static boolean luhn(String in, String out) {
        String d = out.replaceAll("[ -]", "");
        return sameSkeleton(in, out) && Digits.luhnValid(d);
    }

    static boolean ssn(String in, String out) {
        return sameSkeleton(in, out) && DigitTransformers.validSsn(Long.parseLong(out.replace("-", "")));
    }

    static boolean ip(String in, String out) {
        return out.contains(":")
                ? NetworkTransformers.parse6(out).length == 128
                : NetworkTransformers.parse4(out).length == 32;
    }

    static boolean uuid(String in, String out) {
        return NetworkTransformers.parseUuid(out) != null
                && out.equals(java.util.UUID.fromString(out).toString());
    }

    static boolean v4(String in, String out) {
        return uuid(in, out) && isV4(out);
    }

    static boolean isV4(String u) {
        java.util.UUID uuid = java.util.UUID.fromString(u);
        return uuid.version() == 4 && uuid.variant() == 2;
    }

    static boolean integer(String in, String out) {
        long a = Long.parseLong(in);
        long b = Long.parseLong(out);
        return Long.signum(a) == Long.signum(b) || (a == 0 || b == 0) && a >= 0 && b >= 0;
    }

    static boolean sameDigits(String in, String out) {
        return in.replace("-", "").length() == out.replace("-", "").length()
                && in.startsWith("-") == out.startsWith("-");
    }

    static boolean dateWithin(String in, String out, int maxDays) {
        LocalDateTime a = DateTransformers.parse(in).at();
        LocalDateTime b = DateTransformers.parse(out).at();
        long days = Math.abs(java.time.Duration.between(a, b).toDays());
        return days >= 1
                && days <= maxDays
                && DateTransformers.parse(out).hasTime()
                        == DateTransformers.parse(in).hasTime();
    }

    static List<Case> all() {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("email", null, Map.of(), emails(), Cases::isEmail, true));
        cases.add(new Case(
                "email",
                null,
                Map.of("preserve_domain", true, "preserve_length", true),
                emails(),
                (in, out) -> isEmail(in, out)
                        && in.length() == out.length()
                        && in.substring(in.indexOf('@')).equals(out.substring(out.indexOf('@'))),
                true));
        cases.add(new Case(
                "neosync_email",
                null,
                Map.of(),
                emails(),
                (in, out) -> isEmail(in, out) && out.matches("[0-9a-f]{32}@example\\.(com|net|org)"),
                true));
        cases.add(new Case(
                "neosync_email",
                null,
                Map.of("email_type", "fullname", "preserve_domain", true),
                emails(),
                Cases::isEmail,
                true));
        cases.add(new Case(
                "email_fpe",
                null,
                Map.of(),
                emails(),
                (in, out) -> isEmail(in, out) && in.length() == out.length(),
                true));
        cases.add(
                new Case("first_name", null, Map.of(), words(), (in, out) -> out.matches("[A-Z][A-Za-z' .-]*"), true));
        cases.add(new Case(
                "neosync_firstname",
                null,
                Map.of("preserve_length", true),
                words(),
                (in, out) -> in.length() == out.length(),
                true));
        cases.add(new Case("last_name", null, Map.of(), words(), (in, out) -> !out.isBlank(), true));
        cases.add(new Case("full_name", null, Map.of(), words(), (in, out) -> out.contains(" "), true));
        cases.add(new Case(
                "neosync_fullname",
                null,
                Map.of("preserve_length", true),
                Combinators.combine(words(), words()).as((a, b) -> a + " " + b),
                (in, out) -> in.length() == out.length(),
                true));
        cases.add(new Case(
                "greenmask_firstname", null, Map.of("gender", "Female"), words(), (in, out) -> !out.isBlank(), true));
        cases.add(new Case("address", null, Map.of(), text(), (in, out) -> out.matches("\\d{3,5} \\S.* \\S+"), true));
        cases.add(new Case("city", null, Map.of(), text(), (in, out) -> !out.isBlank(), true));
        cases.add(new Case(
                "zip",
                null,
                Map.of(),
                Arbitraries.of("12345", "12345-6789", "SW1A 1AA", "75001"),
                (in, out) -> in.replaceAll("[0-9]", "0")
                        .replaceAll("[A-Z]", "A")
                        .equals(out.replaceAll("[0-9]", "0").replaceAll("[A-Z]", "A")),
                true));
        cases.add(new Case("phone", null, Map.of(), phones(), Cases::sameSkeleton, true));
        cases.add(new Case(
                "phone",
                null,
                Map.of("keep_prefix", 2),
                phones(),
                (in, out) -> sameSkeleton(in, out)
                        && in.replaceAll("\\D", "")
                                .substring(0, 2)
                                .equals(out.replaceAll("\\D", "").substring(0, 2)),
                true));
        cases.add(new Case("phone_fpe", null, Map.of(), phones(), Cases::sameSkeleton, true));
        cases.add(new Case("digits_fpe", null, Map.of("keep_suffix", 4), phones(), Cases::sameSkeleton, true));
        cases.add(new Case(
                "phone_number",
                null,
                Map.of("prefix", "+1", "min_length", 8, "max_length", 12),
                phones(),
                (in, out) -> out.matches("\\+1\\d{6,10}"),
                true));
        cases.add(new Case("credit_card", null, Map.of(), cards(), Cases::luhn, true));
        cases.add(new Case(
                "credit_card_fpe",
                null,
                Map.of("keep_prefix", 6),
                cards(),
                (in, out) -> luhn(in, out) && in.substring(0, 6).equals(out.substring(0, 6)),
                true));
        cases.add(new Case("ssn", null, Map.of(), ssns(), Cases::ssn, true));
        cases.add(new Case("ssn_fpe", null, Map.of(), ssns(), Cases::ssn, true));
        cases.add(new Case(
                "integer_fpe",
                "bigint",
                Map.of(),
                integers(),
                (in, out) -> integer(in, out) && sameDigits(in, out),
                true));
        cases.add(new Case(
                "integer_fpe",
                "integer",
                Map.of("keep_digits", false),
                Arbitraries.integers().map(String::valueOf),
                (in, out) -> integer(in, out) && Long.parseLong(out) == Integer.parseInt(out),
                true));
        cases.add(new Case("ip", "inet", Map.of(), Arbitraries.oneOf(ipv4(), ipv6()), Cases::ip, true));
        cases.add(new Case(
                "ip",
                "inet",
                Map.of("ipv4_prefix", 24, "ipv6_prefix", 64),
                Arbitraries.oneOf(ipv4(), ipv6()),
                (in, out) -> ip(in, out)
                        && (in.contains(":")
                                ? java.util.Arrays.equals(
                                        NetworkTransformers.parse6(in), 0, 64, NetworkTransformers.parse6(out), 0, 64)
                                : in.substring(0, in.lastIndexOf('.')).equals(out.substring(0, out.lastIndexOf('.')))),
                true));
        cases.add(new Case("uuid", "uuid", Map.of(), uuids(), Cases::v4, true));
        cases.add(new Case("greenmask_uuid", "text", Map.of(), text(), Cases::v4, true));
        cases.add(new Case(
                "uuid_fpe", "uuid", Map.of(), uuids(), (in, out) -> uuid(in, out) && isV4(in) == isV4(out), true));
        cases.add(new Case(
                "date_shift", "date", Map.of("max_days", 60), dates(), (in, out) -> dateWithin(in, out, 60), true));
        cases.add(new Case(
                "timestamp_shift",
                "timestamp with time zone",
                Map.of("max_days", 10),
                timestamps(),
                (in, out) -> dateWithin(in, out, 10) && in.substring(10).equals(out.substring(10)),
                true));
        cases.add(new Case(
                "greenmask_date",
                "date",
                Map.of("min_value", "2020-01-01", "max_value", "2020-12-31"),
                dates(),
                (in, out) -> out.startsWith("2020-") && LocalDate.parse(out).getYear() == 2020,
                true));
        cases.add(new Case(
                "greenmask_utc_timestamp",
                "timestamp",
                Map.of(
                        "min_timestamp",
                        "2021-01-01T00:00:00Z",
                        "max_timestamp",
                        "2021-12-31T23:59:59Z",
                        "truncate_part",
                        "second"),
                timestamps(),
                (in, out) -> out.matches("2021-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\+00"),
                true));
        cases.add(new Case(
                "greenmask_integer",
                "integer",
                Map.of("min_value", 10, "max_value", 1_000_000),
                integers(),
                (in, out) -> Long.parseLong(out) >= 10 && Long.parseLong(out) <= 1_000_000,
                true));
        cases.add(new Case(
                "greenmask_float",
                "double precision",
                Map.of("min_value", -1.5, "max_value", 2.5, "precision", 3),
                decimals(),
                (in, out) -> Double.parseDouble(out) >= -1.5
                        && Double.parseDouble(out) <= 2.5
                        && out.substring(out.indexOf('.') + 1).length() == 3,
                true));
        cases.add(new Case(
                "greenmask_unix_timestamp",
                "bigint",
                Map.of("min_value", "1600000000", "max_value", "1700000000"),
                integers(),
                (in, out) -> Long.parseLong(out) >= 1_600_000_000L && Long.parseLong(out) <= 1_700_000_000L,
                true));
        cases.add(new Case(
                "number_noise",
                "numeric",
                Map.of("ratio", 0.2),
                decimals(),
                (in, out) -> {
                    java.math.BigDecimal a = new java.math.BigDecimal(in);
                    java.math.BigDecimal b = new java.math.BigDecimal(out);
                    return b.scale() == a.scale()
                            && b.subtract(a)
                                            .abs()
                                            .compareTo(a.abs()
                                                    .multiply(new java.math.BigDecimal("0.2"))
                                                    .add(new java.math.BigDecimal("0.01")))
                                    <= 0;
                },
                true));
        cases.add(new Case(
                "text",
                null,
                Map.of(),
                text(),
                (in, out) -> in.length() == out.length()
                        && in.replaceAll("\\p{L}", "a")
                                .replaceAll("\\d", "0")
                                .equals(out.replaceAll("[A-Za-z]", "a")
                                        .replaceAll("\\d", "0")
                                        .replaceAll("[A-Z]", "a")),
                true));
        cases.add(new Case(
                "text",
                null,
                Map.of("mode", "lorem"),
                text(),
                (in, out) -> in.codePointCount(0, in.length()) == out.length(),
                true));
        cases.add(new Case(
                "string",
                null,
                Map.of(),
                text(),
                (in, out) -> out.matches("[A-Za-z]*") && in.codePointCount(0, in.length()) == out.length(),
                true));
        cases.add(new Case(
                "neosync_string",
                null,
                Map.of("min_length", 5, "max_length", 9),
                text(),
                (in, out) -> out.matches("[a-z0-9]{5,9}"),
                true));
        cases.add(new Case(
                "greenmask_string",
                null,
                Map.of("symbols", "xyz", "min_length", 3, "max_length", 4),
                text(),
                (in, out) -> out.matches("[xyz]{3,4}"),
                true));
        cases.add(new Case("hash", null, Map.of("length", 16), text(), (in, out) -> out.matches("[0-9a-f]{16}"), true));
        cases.add(new Case(
                "hash",
                null,
                Map.of("encoding", "base64url"),
                text(),
                (in, out) -> out.matches("[A-Za-z0-9_-]{43}"),
                true));
        cases.add(new Case(
                "choice",
                null,
                Map.of("choices", List.of("a", "b", "c")),
                text(),
                (in, out) -> out.matches("[abc]"),
                false));
        cases.add(new Case(
                "greenmask_boolean",
                "boolean",
                Map.of(),
                Arbitraries.of("t", "f"),
                (in, out) -> out.matches("[tf]"),
                false));
        cases.add(new Case(
                "mask",
                null,
                Map.of("keep_first", 1, "keep_last", 2),
                text(),
                (in, out) -> in.length() == out.length(),
                false));
        cases.add(
                new Case("masking", null, Map.of("type", "email"), emails(), (in, out) -> out.contains("****"), false));
        cases.add(new Case("constant", null, Map.of("value", "x"), text(), (in, out) -> out.equals("x"), false));
        cases.add(new Case(
                "literal_string", null, Map.of("literal", "{}"), text(), (in, out) -> out.equals("{}"), false));
        cases.add(new Case(
                "regex_replace",
                null,
                Map.of("pattern", "[0-9]", "replacement", "#"),
                text(),
                (in, out) -> !out.matches(".*[0-9].*"),
                false));
        cases.add(new Case(
                "template",
                null,
                Map.of("template", "user-{{ .GetValue | upper }}"),
                words(),
                (in, out) -> out.equals("user-" + in.toUpperCase(java.util.Locale.ROOT)),
                false));
        cases.add(new Case(
                "json",
                "jsonb",
                Map.of(
                        "operations",
                        List.of(Map.of(
                                "operation", "transform", "path", "email", "transformer", Map.of("name", "email")))),
                emails().map(e -> "{\"email\":\"" + e + "\",\"n\":1}"),
                (in, out) -> out.matches("\\{\"email\":\"[a-z0-9]{20}@example\\.com\",\"n\":1}"),
                true));
        cases.add(new Case(
                "encrypted_aes_siv",
                null,
                Map.of("associated_data", "t.c"),
                text(),
                (in, out) -> out.matches("[A-Za-z0-9_-]+"),
                true));
        cases.add(new Case(
                "string_fpe",
                "citext",
                Map.of(),
                text(),
                (in, out) -> in.length() == out.length()
                        && in.replaceAll("[a-z]", "a")
                                .replaceAll("[A-Z]", "A")
                                .replaceAll("[0-9]", "0")
                                .equals(out.replaceAll("[a-z]", "a")
                                        .replaceAll("[A-Z]", "A")
                                        .replaceAll("[0-9]", "0")),
                true));
        cases.add(new Case(
                "hstore",
                null,
                Map.of(
                        "operations",
                        List.of(
                                Map.of(
                                        "operation",
                                        "transform",
                                        "key",
                                        "email",
                                        "transformer",
                                        Map.of("name", "email")),
                                Map.of("operation", "delete", "key", "ssn"))),
                emails().map(e -> "\"email\"=>\"" + e + "\", \"ssn\"=>\"123\", \"n\"=>NULL"),
                (in, out) -> out.matches("\"email\"=>\"[a-z0-9]{20}@example\\.com\", \"n\"=>NULL"),
                true));
        return cases;
    }
}
