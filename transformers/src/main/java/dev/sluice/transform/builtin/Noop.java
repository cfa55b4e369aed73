package dev.sluice.transform.builtin;

import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;

/** Passes the value through: how a strict rules file says a column holds no personal data. */
final class Noop implements TransformerFactory {

    @Override
    public String name() {
        return "noop";
    }

    @Override
    public Transformer create(TransformerContext context) {
        context.parameters().requireAllUsed();
        return new Transformer() {
            @Override
            public String apply(String value) {
                return value;
            }

            @Override
            public Uniqueness uniqueness() {
                return Uniqueness.GUARANTEED;
            }
        };
    }
}
