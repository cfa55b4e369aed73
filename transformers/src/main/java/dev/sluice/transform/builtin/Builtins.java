package dev.sluice.transform.builtin;

import dev.sluice.transform.TransformerFactory;
import java.util.List;

/** Every transformer Sluice ships, under its own and pgstream's names. */
public final class Builtins {

    private Builtins() {}

    public static List<TransformerFactory> all() {
        return List.of(new Noop());
    }
}
