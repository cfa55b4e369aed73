package dev.sluice.pipeline;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.TransformerRegistry;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Transformers for the pipeline's anonymization tests, independent of the built-in library: a keyed
 * hash, an upper-caser and a mask.
 */
public final class TestTransformers {

    public static final String KEY_HEX = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    public static final String OTHER_KEY_HEX = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    private TestTransformers() {}

    public static Map<String, String> env(String keyHex) {
        return Map.of(Keyring.KEY_ENV, keyHex);
    }

    public static Keyring keyring(String keyHex) {
        return Keyring.of(HexFormat.of().parseHex(keyHex));
    }

    /** What {@code test_hash} makes of a value under a key and domain. */
    public static String hash(Keyring keyring, String domain, String value) {
        return hash(keyring.domain(domain), value);
    }

    private static String hash(DomainKey key, String value) {
        return "h" + HexFormat.of().formatHex(key.mac("test_hash", value), 0, 8);
    }

    public static TransformerRegistry registry() {
        return TransformerRegistry.builtins()
                .with(List.of(
                        factory("test_hash", Uniqueness.PRACTICAL, c -> v -> hash(c.key(), v)),
                        factory("test_upper", Uniqueness.NONE, c -> v -> v.toUpperCase(Locale.ROOT)),
                        factory("test_mask", Uniqueness.NONE, c -> v -> "***")));
    }

    private static TransformerFactory factory(
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
