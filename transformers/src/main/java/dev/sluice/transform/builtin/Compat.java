package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import java.util.List;

/** How pgstream's parameters that have no meaning in Sluice are read, so its rule files load. */
final class Compat {

    private Compat() {}

    /**
     * pgstream's {@code generator: random | deterministic}. Sluice is always deterministic under
     * the key: a random output would change between the snapshot and the stream, between the old
     * and the new image of an update, and would break joins. The value is checked and otherwise
     * ignored.
     */
    static void generator(Parameters p) {
        p.choice("generator", "random", List.of("random", "deterministic"));
    }

    /**
     * A purpose label with pgstream's {@code seed} (neosync, a number) or {@code salt} mixed in. It
     * never replaces the key: it only selects another mapping under the same key, like a
     * sub-domain.
     */
    static String purpose(String base, Parameters p, String name) {
        return p.string(name)
                .filter(s -> !s.isEmpty())
                .map(s -> base + "|" + name + "=" + s)
                .orElse(base);
    }
}
