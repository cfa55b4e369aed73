package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import dev.sluice.core.SluiceException;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerFactory;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class BuiltinsTest {

    /** Parameters every transformer needs at least, so it builds. */
    static final Map<String, Map<String, Object>> REQUIRED = Map.ofEntries(
            Map.entry("constant", Map.of("value", "x")),
            Map.entry("literal_string", Map.of("literal", "x")),
            Map.entry("choice", Map.of("choices", List.of("a", "b"))),
            Map.entry("greenmask_choice", Map.of("choices", List.of("a", "b"))),
            Map.entry("regex_replace", Map.of("pattern", "a", "replacement", "b")),
            Map.entry("template", Map.of("template", "x{{ .GetValue }}")),
            Map.entry("json", Map.of("operations", List.of(Map.of("operation", "delete", "path", "a")))),
            Map.entry("hstore", Map.of("operations", List.of(Map.of("operation", "delete", "key", "a")))),
            Map.entry("greenmask_date", Map.of("min_value", "2020-01-01", "max_value", "2021-01-01")),
            Map.entry("greenmask_unix_timestamp", Map.of("min_value", "0", "max_value", "10")),
            Map.entry(
                    "greenmask_utc_timestamp",
                    Map.of("min_timestamp", "2020-01-01T00:00:00Z", "max_timestamp", "2021-01-01T00:00:00Z")));

    static final List<String> PGSTREAM = List.of(
            "email",
            "encrypted_aes_siv",
            "greenmask_boolean",
            "greenmask_choice",
            "greenmask_date",
            "greenmask_firstname",
            "greenmask_float",
            "greenmask_integer",
            "greenmask_string",
            "greenmask_unix_timestamp",
            "greenmask_utc_timestamp",
            "greenmask_uuid",
            "hstore",
            "json",
            "literal_string",
            "masking",
            "neosync_email",
            "neosync_firstname",
            "neosync_fullname",
            "neosync_lastname",
            "neosync_string",
            "pg_anonymizer",
            "phone_number",
            "string",
            "template",
            "noop");

    static final List<String> REFUSED = List.of("pg_anonymizer");

    private static Map<String, Object> required(String name) {
        return REQUIRED.getOrDefault(name, Map.of());
    }

    @Test
    void namesAreUniqueAndCoverPgstreams() {
        List<String> names =
                Builtins.all().stream().map(TransformerFactory::name).toList();
        assertThat(names).doesNotHaveDuplicates().containsAll(PGSTREAM);
    }

    @Test
    void everyTransformerRefusesAParameterItDoesNotTake() {
        for (TransformerFactory f : Builtins.all()) {
            Map<String, Object> params = new HashMap<>(required(f.name()));
            params.put("preserve_lenght", true);
            assertThatThrownBy(() -> Fixtures.build(f.name(), params))
                    .as(f.name())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining(REFUSED.contains(f.name()) ? f.name() : "preserve_lenght");
        }
    }

    @Test
    void pgstreamsTransformersThatNeedARowOrADatabaseAreRefusedWithAnAlternative() {
        assertThatThrownBy(() -> Fixtures.build("pg_anonymizer", Map.of("anon_function", "anon.fake_email()")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("use the built-in transformers");
        assertThatThrownBy(() -> Fixtures.build("template", Map.of("template", "{{ .GetDynamicValue \"x\" }}")))
                .hasMessageContaining("GetDynamicValue")
                .hasMessageContaining("one column");
    }

    @Test
    void eachTransformerDeclaresHowFarItKeepsValuesUnique() {
        Map<String, Uniqueness> declared = Builtins.all().stream()
                .filter(f -> !REFUSED.contains(f.name()))
                .collect(Collectors.toMap(
                        TransformerFactory::name,
                        f -> Fixtures.build(f.name(), required(f.name())).uniqueness(),
                        (a, b) -> a,
                        LinkedHashMap::new));
        assertThat(declared)
                .contains(
                        entry("noop", Uniqueness.GUARANTEED),
                        entry("email", Uniqueness.PRACTICAL),
                        entry("neosync_email", Uniqueness.PRACTICAL),
                        entry("email_fpe", Uniqueness.GUARANTEED),
                        entry("string_fpe", Uniqueness.GUARANTEED),
                        entry("integer_fpe", Uniqueness.GUARANTEED),
                        entry("phone_fpe", Uniqueness.GUARANTEED),
                        entry("digits_fpe", Uniqueness.GUARANTEED),
                        entry("credit_card_fpe", Uniqueness.GUARANTEED),
                        entry("ssn_fpe", Uniqueness.GUARANTEED),
                        entry("ip", Uniqueness.GUARANTEED),
                        entry("uuid_fpe", Uniqueness.GUARANTEED),
                        entry("encrypted_aes_siv", Uniqueness.GUARANTEED),
                        entry("template", Uniqueness.GUARANTEED),
                        entry("uuid", Uniqueness.PRACTICAL),
                        entry("greenmask_uuid", Uniqueness.PRACTICAL),
                        entry("hash", Uniqueness.PRACTICAL),
                        entry("first_name", Uniqueness.NONE),
                        entry("phone", Uniqueness.NONE),
                        entry("credit_card", Uniqueness.NONE),
                        entry("ssn", Uniqueness.NONE),
                        entry("masking", Uniqueness.NONE),
                        entry("literal_string", Uniqueness.NONE),
                        entry("greenmask_string", Uniqueness.NONE),
                        entry("date_shift", Uniqueness.NONE));
        assertThat(Fixtures.build("hash", Map.of("length", 8)).uniqueness()).isEqualTo(Uniqueness.NONE);
        assertThat(Fixtures.build("greenmask_string", Map.of("min_length", 12)).uniqueness())
                .isEqualTo(Uniqueness.PRACTICAL);
        assertThat(Fixtures.build("neosync_email", Map.of("preserve_length", true, "preserve_domain", true))
                        .uniqueness())
                .isEqualTo(Uniqueness.GUARANTEED);
        assertThat(Fixtures.build("neosync_email", Map.of("preserve_length", true))
                        .uniqueness())
                .isEqualTo(Uniqueness.NONE);
        assertThat(Fixtures.build("neosync_email", Map.of("email_type", "fullname"))
                        .uniqueness())
                .isEqualTo(Uniqueness.NONE);
        assertThat(Fixtures.build("date_shift", Map.of("shift_by", "domain")).uniqueness())
                .isEqualTo(Uniqueness.GUARANTEED);
        assertThat(Fixtures.build("template", Map.of("template", "{{ masking \"email\" .GetValue }}"))
                        .uniqueness())
                .isEqualTo(Uniqueness.NONE);
    }

    @Test
    void aTransformerRefusesAColumnTypeItCannotHandle() {
        Map<String, String> misfits = Map.of(
                "email", "integer",
                "first_name", "bigint",
                "integer_fpe", "timestamp with time zone",
                "date_shift", "boolean",
                "ip", "uuid",
                "json", "integer",
                "phone_fpe", "bigint",
                "greenmask_integer", "date");
        misfits.forEach((name, type) -> assertThatThrownBy(() -> Fixtures.build(name, type, required(name)))
                .as(name + " on " + type)
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("public.t.c")
                .hasMessageContaining(type));
        // Types Sluice does not classify (domains, enums) pass; their values are checked.
        assertThat(Fixtures.build("email", "public.email_address", Map.of()).apply("a@b.co"))
                .contains("@");
        assertThat(Fixtures.build("email", "character varying(255)", Map.of()).apply("a@b.co"))
                .contains("@");
        assertThat(Fixtures.build("integer_fpe", "numeric(12,0)", Map.of()).apply("12"))
                .hasSize(2);
    }

    @Test
    void unparseableValuesFailWithAMessageThatDoesNotRepeatThem() {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("integer_fpe", "12abc345");
        bad.put("ip", "300.1.2.3secret");
        bad.put("date_shift", "yesterday-secret");
        bad.put("uuid_fpe", "not-a-uuid-secret");
        bad.put("credit_card", "4111-secret");
        bad.put("ssn", "123-45-secret");
        bad.put("json", "{\"secret\":");
        bad.put("neosync_email", "secret-at-nowhere");
        bad.put("greenmask_integer", "secret12");
        bad.put("number_noise", "12secret");
        bad.put("phone", "no-digits-secret");
        bad.put("greenmask_boolean", "maybe-secret");
        Function<String, TransformerFactory> f = Fixtures::factory;
        bad.forEach((name, value) -> assertThatThrownBy(
                        () -> Fixtures.build(name, required(name)).apply(value))
                .as(name)
                .isInstanceOf(TransformException.class)
                .hasMessageNotContaining("secret")
                .hasMessageNotContaining(value));
        assertThat(f.apply("noop").name()).isEqualTo("noop");
    }
}
