package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Pattern;

/** Keys and a way to build a built-in transformer by name, for tests. */
final class Fixtures {

    static final Keyring KEYRING =
            Keyring.of(HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
    static final Keyring OTHER_KEYRING =
            Keyring.of(HexFormat.of().parseHex("f0e1d2c3b4a5968778695a4b3c2d1e0f00112233445566778899aabbccddeeff"));
    static final DomainKey KEY = KEYRING.domain("people");
    static final DomainKey OTHER_KEY = OTHER_KEYRING.domain("people");

    /** An RFC 5321-ish address: dot-atom local part, LDH labels, at least one dot. */
    static final Pattern EMAIL = Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
            + "@[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");

    private Fixtures() {}

    static TransformerFactory factory(String name) {
        return Builtins.all().stream()
                .filter(f -> f.name().equals(name))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no transformer " + name));
    }

    static Transformer build(String name, Map<String, Object> params) {
        return build(name, null, params, KEY);
    }

    static Transformer build(String name, String type, Map<String, Object> params) {
        return build(name, type, params, KEY);
    }

    static Transformer build(String name, String type, Map<String, Object> params, DomainKey key) {
        return factory(name)
                .create(new TransformerContext(
                        "public.t.c", type, new Parameters("transform.yaml:1, public.t.c", name, params), key));
    }
}
