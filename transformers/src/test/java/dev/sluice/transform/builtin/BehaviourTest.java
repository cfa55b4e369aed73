package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Examples: pgstream's documented outputs where Sluice matches them, and Sluice's own rules. */
class BehaviourTest {

    private static String apply(String name, Map<String, Object> params, String value) {
        return Fixtures.build(name, params).apply(value);
    }

    @Test
    void maskingMatchesPgstreamsExamples() {
        assertThat(apply("masking", Map.of("type", "password"), "aVeryStrongPassword123"))
                .isEqualTo("************");
        assertThat(apply("masking", Map.of("type", "name"), "John Doe")).isEqualTo("J**n D**e");
        assertThat(apply("masking", Map.of("type", "address"), "123 Main St, Anytown, USA"))
                .isEqualTo("123 Ma******");
        assertThat(apply("masking", Map.of("type", "email"), "john.doe@example.com"))
                .isEqualTo("joh****e@example.com");
        assertThat(apply("masking", Map.of("type", "mobile"), "1234567890")).isEqualTo("1234***890");
        assertThat(apply("masking", Map.of("type", "tel"), "+1-23-456-789")).isEqualTo("(+1)2345-****");
        assertThat(apply("masking", Map.of("type", "id"), "123456789")).isEqualTo("123456****");
        assertThat(apply("masking", Map.of("type", "credit_card"), "4111-1111-1111-1111"))
                .isEqualTo("4111-1******11-1111");
        assertThat(apply("masking", Map.of("type", "url"), "http://admin:mysecretpassword@localhost:1234/uri"))
                .isEqualTo("http://admin:xxxxx@localhost:1234/uri");
        assertThat(apply("masking", Map.of(), "Sensitive Data")).isEqualTo("**************");
        assertThat(apply("masking", Map.of("type", "custom"), "Sensitive Data")).isEqualTo("**************");
    }

    @Test
    void customMaskingRangesMatchPgstreamsExamples() {
        Map<String, Object> absolute = Map.of("type", "custom", "mask_begin", "4", "mask_end", "12");
        assertThat(apply("masking", absolute, "1234567812345678")).isEqualTo("1234********5678");
        assertThat(apply("masking", absolute, "sensitive@example.com")).isEqualTo("sens********ample.com");
        assertThat(apply("masking", absolute, "sensitive")).isEqualTo("sens*****");
        Map<String, Object> end = Map.of("type", "custom", "mask_end", "5");
        assertThat(apply("masking", end, "1234567812345678")).isEqualTo("*****67812345678");
        Map<String, Object> percent = Map.of("type", "custom", "mask_begin", "15%", "mask_end", "85%");
        assertThat(apply("masking", percent, "1234567812345678")).isEqualTo("12***********678");
        // pgstream's code rounds down (its documentation shows one character more for this one).
        assertThat(apply("masking", percent, "sensitive@example.com")).isEqualTo("sen**************.com");
        assertThat(apply("masking", percent, "sensitive")).isEqualTo("s******ve");
        assertThat(apply("masking", Map.of("type", "custom", "mask_begin", "4", "mask_end", "400%"), "Sensitive Data"))
                .isEqualTo("Sens**********");
        assertThat(apply(
                        "masking",
                        Map.of("type", "custom", "unmask_begin", "78%", "unmask_end", "-4%"),
                        "Sensitive Data"))
                .isEqualTo("Sensitive ****");
        assertThatThrownBy(() -> apply("masking", Map.of("type", "custom", "unmask_begin", "0"), "x"))
                .isInstanceOf(SluiceException.class);
        Map<String, Object> unmask = Map.of("type", "custom", "unmask_end", "3");
        assertThat(apply("masking", unmask, "1234567812345678")).isEqualTo("123*************");
        assertThatThrownBy(() -> apply("masking", Map.of("type", "custom", "mask_begin", "3", "mask_end", "3"), "x"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("noop");
        assertThatThrownBy(() -> apply("masking", Map.of("type", "custom", "mask_end", "5", "unmask_end", "2"), "x"))
                .isInstanceOf(SluiceException.class);
    }

    @Test
    void maskKeepsTheEndsAndMasksShortValuesEntirely() {
        Map<String, Object> p = Map.of("keep_first", 2, "keep_last", 2, "keep_chars", "@");
        assertThat(apply("mask", p, "john@example.com")).isEqualTo("jo**@*********om");
        assertThat(apply("mask", p, "abcd")).isEqualTo("****");
    }

    @Test
    void jsonOperationsFollowPgstreamsExample() {
        Map<String, Object> p = Map.of(
                "operations",
                List.of(
                        Map.of("operation", "set", "path", "purchases.#.item", "value", "-", "error_not_exist", true),
                        Map.of("operation", "delete", "path", "residency.country"),
                        Map.of(
                                "operation",
                                "set",
                                "path",
                                "residency.city",
                                "value_template",
                                "{{ masking \"default\" .GetValue }}"),
                        Map.of(
                                "operation",
                                "transform",
                                "path",
                                "$.user.email",
                                "transformer",
                                Map.of("name", "email_fpe"))));
        String in = "{\"user\":{\"firstname\":\"john\",\"email\":\"john@x.com\"},"
                + "\"residency\":{\"city\":\"some city\",\"country\":\"some country\"},"
                + "\"purchases\":[{\"item\":\"book\",\"price\":10},{\"item\":\"pen\",\"price\":2.50}]}";
        String out = apply("json", p, in);
        assertThat(out)
                .matches("\\{\"user\":\\{\"firstname\":\"john\",\"email\":\"[a-z]{4}@x\\.com\"},"
                        + "\"residency\":\\{\"city\":\"\\*{9}\"},"
                        + "\"purchases\":\\[\\{\"item\":\"-\",\"price\":10},\\{\"item\":\"-\",\"price\":2.50}]}");
        assertThat(out).doesNotContain("john@x.com");
    }

    @Test
    void jsonMissingPathsAreSkippedByDefaultAndFailWhenAsked() {
        Map<String, Object> skip = Map.of("operations", List.of(Map.of("operation", "set", "path", "a.b", "value", 1)));
        assertThat(apply("json", skip, "{\"x\":1}")).isEqualTo("{\"x\":1}");
        Map<String, Object> create = Map.of(
                "operations", List.of(Map.of("operation", "set", "path", "a.b", "value", 1, "skip_not_exist", false)));
        assertThat(apply("json", create, "{\"x\":1}")).isEqualTo("{\"x\":1,\"a\":{\"b\":1}}");
        Map<String, Object> fail = Map.of(
                "operations",
                List.of(Map.of("operation", "delete", "path", "a", "skip_not_exist", false, "error_not_exist", true)));
        assertThatThrownBy(() -> apply("json", fail, "{\"x\":1}"))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("path a");
        assertThatThrownBy(() ->
                        apply("json", Map.of("operations", List.of(Map.of("operation", "set", "path", "a"))), "{}"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("operations[0]");
    }

    @Test
    void hstoreOperationsSetDeleteAndTransformKeys() {
        Map<String, Object> p = Map.of(
                "operations",
                List.of(
                        Map.of(
                                "operation",
                                "set",
                                "key",
                                "email",
                                "value_template",
                                "{{ masking \"email\" .GetValue }}"),
                        Map.of("operation", "delete", "key", "public_key", "error_not_exist", true),
                        Map.of(
                                "operation",
                                "set",
                                "key",
                                "private_key",
                                "value_template",
                                "{{ masking \"default\" .GetValue }}"),
                        Map.of("operation", "set", "key", "newKey", "value", "newValue", "skip_not_exist", false),
                        Map.of("operation", "transform", "key", "phone", "transformer", Map.of("name", "phone_fpe"))));
        String out = apply(
                "hstore",
                p,
                "\"public_key\"=>\"12345\", \"private_key\"=>\"12345abcdefg\", \"email\"=>\"user@email.com\","
                        + " \"phone\"=>NULL, \"quote\"=>\"a\\\"b\"");
        assertThat(out)
                .isEqualTo("\"private_key\"=>\"************\", \"email\"=>\"use****@email.com\", \"phone\"=>NULL,"
                        + " \"quote\"=>\"a\\\"b\", \"newKey\"=>\"newValue\"");
        Map<String, Object> nullValue = new java.util.HashMap<>();
        nullValue.put("operation", "set");
        nullValue.put("key", "a");
        nullValue.put("value", null);
        assertThat(apply("hstore", Map.of("operations", List.of(nullValue)), "a=>b"))
                .isEqualTo("\"a\"=>NULL");
        assertThatThrownBy(() ->
                        apply("hstore", Map.of("operations", List.of(Map.of("operation", "set", "key", "a"))), ""))
                .isInstanceOf(SluiceException.class);
        assertThatThrownBy(() -> apply(
                        "hstore", Map.of("operations", List.of(Map.of("operation", "delete", "key", "a"))), "\"a\"=>"))
                .isInstanceOf(TransformException.class);
    }

    @Test
    void fakeValuesFitTheColumnsDeclaredLength() {
        assertThat(Fixtures.build("address", "character varying(8)", Map.of()).apply("1 Main Street"))
                .hasSizeLessThanOrEqualTo(8);
        assertThat(Fixtures.build("full_name", "varchar(5)[]", Map.of()).apply("{\"Ann Lee\"}"))
                .matches("\\{\"?[^\"]{1,5}\"?}");
        String email =
                Fixtures.build("email", "character varying(24)", Map.of()).apply("someone@gmail.com");
        assertThat(email).hasSizeLessThanOrEqualTo(24).endsWith("@example.com");
    }

    @Test
    void templateRendersTheValueThroughItsSubset() {
        assertThat(apply(
                        "template", Map.of("template", "{{- masking \"email\" .GetValue -}} "), "john.doe@example.com"))
                .isEqualTo("joh****e@example.com");
        assertThat(apply("template", Map.of("template", "{{ \"id-\" }}{{ .GetValue | lower }}"), "AB"))
                .isEqualTo("id-ab");
        assertThatThrownBy(() -> apply("template", Map.of("template", "{{ fakeFirstName }}"), "x"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("fakeFirstName");
        assertThatThrownBy(() -> apply("template", Map.of("template", "{{ .GetValue "), "x"))
                .isInstanceOf(SluiceException.class);
    }

    @Test
    void emailsKeepExcludedDomainsAndDomainsWhenAsked() {
        Map<String, Object> p = Map.of("excluded_domains", List.of("@Corp.com"), "preserve_domain", true);
        assertThat(apply("neosync_email", p, "boss@corp.com")).isEqualTo("boss@corp.com");
        assertThat(apply("neosync_email", p, "john@gmail.com"))
                .endsWith("@gmail.com")
                .doesNotStartWith("john");
        assertThat(apply("email", Map.of("exclude_domain", "company.org"), "john.doe@company.org"))
                .isEqualTo("john.doe@company.org");
        assertThat(apply("email", Map.of("replacement_domain", "@random.com"), "jane.doe@company.org"))
                .matches("[a-z0-9]{20}@random\\.com");
        assertThat(apply("email", Map.of(), "invalid-email")).matches("[a-z0-9]{20}@example\\.com");
        assertThat(apply("neosync_email", Map.of("invalid_email_action", "null"), "invalid-email"))
                .isNull();
        assertThat(apply("neosync_email", Map.of("invalid_email_action", "passthrough"), "invalid-email"))
                .isEqualTo("invalid-email");
        assertThatThrownBy(() -> apply("neosync_email", Map.of(), "invalid-email"))
                .isInstanceOf(TransformException.class);
        assertThatThrownBy(() -> apply("email_fpe", Map.of("invalid_email_action", "generate"), "x"))
                .isInstanceOf(SluiceException.class);
        assertThatThrownBy(() -> apply("email", Map.of("excluded_domains", List.of("example.com")), "x"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("example.com");
    }

    @Test
    void preserveLengthEncryptsTheLocalPartKeepingCaseAndShape() {
        String out = apply("email", Map.of("preserve_length", true, "preserve_domain", true), "John.Smith+42@Mail.com");
        assertThat(out)
                .matches("[A-Z][a-z]{3}\\.[A-Z][a-z]{4}\\+\\d\\d@Mail\\.com")
                .isNotEqualTo("John.Smith+42@Mail.com");
        assertThat(apply("neosync_email", Map.of("max_length", 20), "someone.with.a.long.name@gmail.com"))
                .hasSizeLessThanOrEqualTo(20);
    }

    @Test
    void seedAndSaltSelectAnotherMappingUnderTheSameKey() {
        String plain = apply("neosync_firstname", Map.of(), "Alice");
        assertThat(apply("neosync_firstname", Map.of("seed", 42), "Alice"))
                .isEqualTo(apply("neosync_firstname", Map.of("seed", 42), "Alice"));
        List<String> seeded = List.of("Alice", "Bob", "Carol", "Dave", "Eve").stream()
                .map(v -> apply("neosync_firstname", Map.of("seed", 42), v))
                .toList();
        List<String> unseeded = List.of("Alice", "Bob", "Carol", "Dave", "Eve").stream()
                .map(v -> apply("neosync_firstname", Map.of(), v))
                .toList();
        assertThat(seeded).isNotEqualTo(unseeded);
        assertThat(plain).isNotBlank();
        assertThat(apply("email", Map.of("salt", "x"), "a@b.co")).isNotEqualTo(apply("email", Map.of(), "a@b.co"));
        assertThat(Fixtures.build("email", null, Map.of("salt", "x"), Fixtures.OTHER_KEY)
                        .apply("a@b.co"))
                .isNotEqualTo(apply("email", Map.of("salt", "x"), "a@b.co"));
    }

    @Test
    void greenmaskGeneratorIsAcceptedAndAlwaysKeyed() {
        assertThat(apply("greenmask_integer", Map.of("generator", "random"), "5"))
                .isEqualTo(apply("greenmask_integer", Map.of("generator", "deterministic"), "5"));
        assertThatThrownBy(() -> apply("greenmask_integer", Map.of("generator", "chaos"), "5"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("random, deterministic");
    }

    @Test
    void arrayColumnsAreTransformedElementByElement() {
        Transformer t = Fixtures.build("email_fpe", "text[]", Map.of());
        Transformer one = Fixtures.build("email_fpe", "text", Map.of());
        String out = t.apply("{a@x.com,NULL,\"b@y.com\"}");
        assertThat(out).isEqualTo("{" + one.apply("a@x.com") + ",NULL," + one.apply("b@y.com") + "}");
        assertThat(Fixtures.build("text", "text[]", Map.of()).apply("{\"a b\",\"\"}"))
                .matches("\\{\"[a-z] [a-z]\",\"\"}");
        assertThatThrownBy(() -> t.apply("{unterminated")).isInstanceOf(TransformException.class);
        Transformer ints = Fixtures.build("integer_fpe", "integer[]", Map.of());
        assertThat(ints.apply("[0:1]={{1,22},{333,NULL}}")).matches("\\[0:1]=\\{\\{\\d,\\d\\d},\\{\\d{3},NULL}}");
        assertThat(Fixtures.build("constant", "text[]", Map.of("value", "{}")).apply("{a,b}"))
                .isEqualTo("{}");
    }

    @Test
    void datesShiftWithinBoundsKeepInfinityAndRefuseBc() {
        Transformer t = Fixtures.build("date_shift", "date", Map.of("min_days", 5, "max_days", 10));
        for (int i = 0; i < 200; i++) {
            LocalDate d = LocalDate.of(2024, 1, 1).plusDays(i);
            long moved = Math.abs(ChronoUnit.DAYS.between(d, LocalDate.parse(t.apply(d.toString()))));
            assertThat(moved).isBetween(5L, 10L);
        }
        assertThat(t.apply("infinity")).isEqualTo("infinity");
        assertThatThrownBy(() -> t.apply("2024-02-30")).isInstanceOf(TransformException.class);
        assertThatThrownBy(() -> t.apply("2024-3-5")).isInstanceOf(TransformException.class);
        Transformer ts = Fixtures.build("timestamp_shift", Map.of());
        assertThat(ts.apply("2024-03-05T12:00:00.5Z")).matches("2024-0[2-4]-\\d\\dT12:00:00\\.5Z");
        assertThat(ts.apply("0999-06-15 01:02:03+05:30")).matches("0999-0[5-7]-\\d\\d 01:02:03\\+05:30");
        assertThat(ts.apply("12345-06-15")).matches("12345-0[5-7]-\\d\\d");
        assertThatThrownBy(() -> ts.apply("2024-03-05 12:00:00 PST")).isInstanceOf(TransformException.class);
        assertThatThrownBy(() -> t.apply("0044-03-15 BC")).isInstanceOf(TransformException.class);
        Transformer domain = Fixtures.build("timestamp_shift", Map.of("shift_by", "domain", "max_seconds", 3600));
        String a = domain.apply("2024-01-01 10:00:00+02");
        String b = domain.apply("2024-01-02 10:00:00+02");
        assertThat(a).endsWith("+02");
        assertThat(java.time.Duration.between(
                        DateTransformers.parse(a).at(),
                        DateTransformers.parse(b).at()))
                .hasDays(1);
    }

    @Test
    void datesOfOneEntityShiftAlikeInEveryColumn() {
        // As dynamic_parameters would build them: one transformer per customer, in two columns.
        Transformer birth = Fixtures.build("date_shift", "date", Map.of("entity", "42", "max_days", 365));
        Transformer signup = Fixtures.build("timestamp_shift", Map.of("entity", "42", "max_days", 365));
        Transformer other = Fixtures.build("date_shift", "date", Map.of("entity", "43", "max_days", 365));
        long birthMove =
                ChronoUnit.DAYS.between(LocalDate.parse("1980-05-01"), LocalDate.parse(birth.apply("1980-05-01")));
        long signupMove = ChronoUnit.DAYS.between(
                LocalDate.parse("2021-02-03"),
                LocalDate.parse(signup.apply("2021-02-03 10:00:00+00").substring(0, 10)));
        assertThat(signupMove).as("same customer, another column").isEqualTo(birthMove);
        assertThat(ChronoUnit.DAYS.between(LocalDate.parse("1999-12-31"), LocalDate.parse(birth.apply("1999-12-31"))))
                .as("every date of the customer")
                .isEqualTo(birthMove);
        long otherMoves = java.util.stream.IntStream.range(0, 20)
                .mapToObj(i -> Fixtures.build("date_shift", "date", Map.of("entity", "c" + i, "max_days", 365)))
                .mapToLong(t ->
                        ChronoUnit.DAYS.between(LocalDate.parse("1980-05-01"), LocalDate.parse(t.apply("1980-05-01"))))
                .distinct()
                .count();
        assertThat(otherMoves).as("other customers move by other amounts").isGreaterThan(10);
        assertThat(other.apply("1980-05-01")).isNotNull();
        assertThatThrownBy(() -> Fixtures.build("date_shift", Map.of("entity", "1", "shift_by", "domain")))
                .hasMessageContaining("entity");
    }

    @Test
    void ipKeepsNetmasksAndCidrHostBits() {
        assertThat(Fixtures.build("ip", "inet", Map.of()).apply("192.168.1.5/24"))
                .endsWith("/24");
        String net = Fixtures.build("ip", "cidr", Map.of("ipv4_prefix", 8)).apply("10.20.30.0/24");
        assertThat(net).startsWith("10.").endsWith(".0/24");
        assertThat(Fixtures.build("ip", "inet", Map.of()).apply("::ffff:1.2.3.4"))
                .contains(":");
        assertThatThrownBy(() -> Fixtures.build("ip", Map.of()).apply("1.2.3")).isInstanceOf(TransformException.class);
        assertThatThrownBy(() -> Fixtures.build("ip", Map.of()).apply("1:2:3:4:5:6:7:8:9"))
                .isInstanceOf(TransformException.class);
        assertThat(NetworkTransformers.format6(NetworkTransformers.parse6("2001:0db8:0000:0000:0001:0000:0000:0001")))
                .isEqualTo("2001:db8::1:0:0:1");
    }

    @Test
    void uuidsInAnyAcceptedSpellingMapAlike() {
        Transformer t = Fixtures.build("uuid", Map.of());
        String canonical = "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11";
        assertThat(t.apply("{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}")).isEqualTo(t.apply(canonical));
        assertThat(t.apply("a0eebc999c0b4ef8bb6d6bb9bd380a11")).isEqualTo(t.apply(canonical));
        assertThat(Fixtures.build("uuid_fpe", Map.of()).apply("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11"))
                .isEqualTo(Fixtures.build("uuid_fpe", Map.of()).apply(canonical));
    }

    @Test
    void namesCanKeepTheirLength() {
        Transformer t = Fixtures.build("full_name", Map.of("preserve_length", true));
        for (String name : List.of("Al Li", "Mary Ann Smith", "Bartholomew Featherstonehaugh", "X")) {
            assertThat(t.apply(name)).hasSameSizeAs(name).isNotEqualTo(name);
        }
        assertThat(Fixtures.build("first_name", Map.of("gender", "female")).apply("John"))
                .isNotBlank();
    }
}
