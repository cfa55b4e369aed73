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
            return new ArrayValues(build.apply(element));
        }
        return build.apply(context);
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
