package dev.sluice.transform.builtin;

import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * A built-in factory: a name and a build function. An <em>element-wise</em> factory applied to an
 * array column ({@code text[]}, ...) builds its transformer for the element type and applies it to
 * every element of the array literal, NULL elements left alone.
 */
record Factory(String name, boolean elementwise, Function<TransformerContext, Transformer> build)
        implements TransformerFactory {

    /** A factory whose transformer sees the whole value, whatever the column type. */
    static Factory whole(String name, Function<TransformerContext, Transformer> build) {
        return new Factory(name, false, build);
    }

    /** A factory whose transformer applies to each element of an array column. */
    static Factory elementwise(String name, Function<TransformerContext, Transformer> build) {
        return new Factory(name, true, build);
    }

    @Override
    public Transformer create(TransformerContext context) {
        if (elementwise && context.type() != null && ColumnTypes.isArray(context.type())) {
            TransformerContext element = new TransformerContext(
                    context.column(), ColumnTypes.elementType(context.type()), context.parameters(), context.key());
            return new ArrayValues(fit(build.apply(element), element.type()));
        }
        return fit(build.apply(context), context.type());
    }

    /**
     * On a {@code varchar(n)} or {@code char(n)} column, fake values that may run longer (names,
     * addresses, free text) are cut to {@code n} characters so the target accepts them. Transformers
     * that promise uniqueness are left whole: cutting would break the promise; they keep lengths or
     * size themselves (email reads the length as its {@code max_length}).
     */
    private static Transformer fit(Transformer t, String type) {
        int max = ColumnTypes.maxLength(type);
        if (max < 0 || t.uniqueness() != Transformer.Uniqueness.NONE) {
            return t;
        }
        return transformer(t.uniqueness(), value -> {
            String out = t.apply(value);
            if (out == null || out.length() <= max || out.codePointCount(0, out.length()) <= max) {
                return out;
            }
            return out.substring(0, out.offsetByCodePoints(0, max));
        });
    }

    /** A transformer from a function and its uniqueness promise. */
    static Transformer transformer(Transformer.Uniqueness uniqueness, UnaryOperator<String> function) {
        return new Transformer() {
            @Override
            public String apply(String value) {
                return function.apply(value);
            }

            @Override
            public Uniqueness uniqueness() {
                return uniqueness;
            }
        };
    }
}
