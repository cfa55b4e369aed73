package dev.sluice.transform.builtin;

import dev.sluice.transform.TransformerFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Every transformer Sluice ships, under its own and pgstream's names. Deterministic ones draw all
 * their randomness from the column's domain key, so the same value gives the same output in the
 * snapshot and the stream, across restarts, and in every column of the domain.
 */
public final class Builtins {

    private static final List<TransformerFactory> ALL = build();

    private Builtins() {}

    public static List<TransformerFactory> all() {
        return ALL;
    }

    private static List<TransformerFactory> build() {
        List<TransformerFactory> all = new ArrayList<>();
        all.add(new Noop());
        all.addAll(TextTransformers.factories());
        all.add(ShapeFpe.factory());
        all.addAll(Emails.factories());
        all.addAll(NameTransformers.factories());
        all.addAll(DigitTransformers.factories());
        all.addAll(NumberTransformers.factories());
        all.addAll(DateTransformers.factories());
        all.addAll(NetworkTransformers.factories());
        all.addAll(Masks.factories());
        all.add(Factory.whole("template", Builtins::template));
        all.add(JsonTransformer.factory());
        all.add(HstoreTransformer.factory());
        all.add(AesSiv.factory());
        all.addAll(Refused.factories());
        return List.copyOf(all);
    }

    /**
     * pgstream's {@code template} with the subset of Go templates {@link Template} runs; {@code
     * template} is required. Injective (and so collision-free) when it only wraps the value in
     * literal text.
     */
    private static dev.sluice.transform.Transformer template(dev.sluice.transform.TransformerContext c) {
        dev.sluice.transform.Parameters p = c.parameters();
        Template t = Template.parse(p.requiredString("template"), p, "template");
        p.requireAllUsed();
        return Factory.transformer(
                t.injective()
                        ? dev.sluice.transform.Transformer.Uniqueness.GUARANTEED
                        : dev.sluice.transform.Transformer.Uniqueness.NONE,
                t::render);
    }
}
