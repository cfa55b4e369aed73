package dev.sluice.transform.rules;

import dev.sluice.transform.Keyring;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** Small transformers for the tests of rules and the anonymizer; the real library is tested on its own. */
final class TestTransformers {

    private TestTransformers() {}

    static final Keyring KEY = Keyring.of(HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f"));
    static final Keyring OTHER_KEY = Keyring.of(HexFormat.of().parseHex("ffeeddccbbaa99887766554433221100"));

    /** The builtins plus the test transformers. */
    static TransformerRegistry registry() {
        return TransformerRegistry.builtins().with(all());
    }

    static List<TransformerFactory> all() {
        return List.of(
                // Keyed, practically unique: "h" and 16 hex digits of the domain's HMAC.
                factory(
                        "test_hash",
                        Uniqueness.PRACTICAL,
                        c -> v -> "h" + HexFormat.of().formatHex(c.key().mac("test_hash", v), 0, 8)),
                // Lossy.
                factory("test_upper", Uniqueness.NONE, c -> v -> v.toUpperCase(Locale.ROOT)),
                factory("test_mask", Uniqueness.NONE, c -> v -> "***"),
                // A bijection with a required parameter.
                factory("test_prefix", Uniqueness.GUARANTEED, c -> {
                    String prefix = c.parameters().requiredString("prefix");
                    return v -> prefix + v;
                }),
                factory("test_literal", Uniqueness.NONE, c -> {
                    String literal = c.parameters().requiredString("literal");
                    return v -> literal;
                }),
                // Fails on values that are not digits, with a message that omits the value.
                factory("test_digits", Uniqueness.GUARANTEED, c -> v -> {
                    if (!v.chars().allMatch(Character::isDigit)) {
                        throw new TransformException("expected digits only");
                    }
                    return v;
                }),
                // Fails like careless code does: the message quotes the value.
                factory("test_parse", Uniqueness.GUARANTEED, c -> v -> String.valueOf(Long.parseLong(v) + 1)),
                // Takes an optional 'gender', as pgstream's greenmask_firstname does through dynamic_parameters.
                factory("test_name", Uniqueness.NONE, c -> {
                    String gender = c.parameters().string("gender", "any");
                    return v -> gender + "-" + HexFormat.of().formatHex(c.key().mac("name", v), 0, 2);
                }),
                // Records the type it was built for.
                factory("test_type", Uniqueness.GUARANTEED, c -> v -> c.type() + ":" + v));
    }

    /**
     * The test registry plus stand-ins under pgstream's names for those the built-in library does
     * not have (yet): the real transformers are used where they exist, so a pgstream file is
     * checked against them.
     */
    static TransformerRegistry withPgstreamNames() {
        TransformerRegistry registry = registry();
        return registry.with(pgstreamStandIns().stream()
                .filter(f -> registry.find(f.name()).isEmpty())
                .toList());
    }

    /** Stand-ins under pgstream's names that accept the parameters its docs show. */
    private static List<TransformerFactory> pgstreamStandIns() {
        return List.of(
                lenient("neosync_email", "preserve_length", "preserve_domain", "email_type"),
                lenient("greenmask_firstname", "gender", "generator"),
                lenient("greenmask_string", "generator", "min_length", "max_length", "symbols"),
                lenient("greenmask_choice", "generator", "choices"),
                lenient("greenmask_date", "generator", "min_value", "max_value"),
                lenient("phone_number", "prefix", "min_length", "max_length", "generator"));
    }

    private static TransformerFactory lenient(String name, String... parameters) {
        return factory(name, Uniqueness.PRACTICAL, c -> {
            for (String p : parameters) {
                c.parameters().raw(p);
            }
            return v -> name + "(" + v + ")";
        });
    }

    static TransformerFactory factory(
            String name, Uniqueness uniqueness, Function<TransformerContext, Function<String, String>> make) {
        return new TransformerFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Transformer create(TransformerContext context) {
                Function<String, String> f = make.apply(context);
                context.parameters().requireAllUsed();
                return new Transformer() {
                    @Override
                    public String apply(String value) {
                        return f.apply(value);
                    }

                    @Override
                    public Uniqueness uniqueness() {
                        return uniqueness;
                    }
                };
            }
        };
    }
}
