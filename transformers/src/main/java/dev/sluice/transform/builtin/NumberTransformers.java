package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;
import java.util.Locale;

/** Numbers: keyed values in a range (greenmask's), and keyed noise that keeps a value's scale. */
final class NumberTransformers {

    private static final String FLOAT32_MAX = "3.40282346638528859811704183484516925440e+38";

    private NumberTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("integer_fpe", IntegerFpe::create),
                Factory.elementwise("greenmask_integer", NumberTransformers::greenmaskInteger),
                Factory.elementwise("greenmask_float", NumberTransformers::greenmaskFloat),
                Factory.elementwise("greenmask_unix_timestamp", NumberTransformers::unixTimestamp),
                Factory.elementwise("number_noise", NumberTransformers::noise));
    }

    /** A keyed integer in {@code [min_value, max_value]}, by default the range of {@code size} bytes. */
    static Transformer greenmaskInteger(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_integer", ColumnTypes.NUMBERS);
        Parameters p = c.parameters();
        Compat.generator(p);
        long size = p.integer("size", 4, 2, 4);
        if (size != 2 && size != 4) {
            throw p.invalid("size", size, "2 or 4");
        }
        long typeMin = size == 2 ? Short.MIN_VALUE : Integer.MIN_VALUE;
        long typeMax = size == 2 ? Short.MAX_VALUE : Integer.MAX_VALUE;
        long min = p.integer("min_value", typeMin, Long.MIN_VALUE, Long.MAX_VALUE);
        long max = p.integer("max_value", typeMax, Long.MIN_VALUE, Long.MAX_VALUE);
        if (max < min) {
            throw p.invalid("max_value", max, "at least min_value (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            number(value);
            return Long.toString(KeyedRandom.of(key, "greenmask_integer", value).between(min, max));
        });
    }

    /** A keyed decimal in {@code [min_value, max_value]} with {@code precision} decimals. */
    static Transformer greenmaskFloat(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_float", ColumnTypes.NUMBERS);
        Parameters p = c.parameters();
        Compat.generator(p);
        double max32 = Double.parseDouble(FLOAT32_MAX);
        double min = p.decimal("min_value", -max32);
        double max = p.decimal("max_value", max32);
        int precision = (int) p.integer("precision", 2, 0, 15);
        if (!(max >= min) || Double.isInfinite(max - min)) {
            throw p.invalid("max_value", max, "a finite number of at least min_value (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        BigDecimal lo = BigDecimal.valueOf(min);
        BigDecimal hi = BigDecimal.valueOf(max);
        return transformer(Uniqueness.NONE, value -> {
            number(value);
            double u = KeyedRandom.of(key, "greenmask_float", value).nextDouble();
            BigDecimal v = BigDecimal.valueOf(min + u * (max - min)).setScale(precision, RoundingMode.HALF_EVEN);
            return v.max(lo).min(hi).toPlainString();
        });
    }

    /** A keyed integer between two unix timestamps given as text, as greenmask has it. */
    static Transformer unixTimestamp(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_unix_timestamp", ColumnTypes.NUMBERS);
        Parameters p = c.parameters();
        Compat.generator(p);
        long min = longParameter(p, "min_value");
        long max = longParameter(p, "max_value");
        if (max < min) {
            throw p.invalid("max_value", max, "at least min_value (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        return transformer(Uniqueness.NONE, value -> {
            number(value);
            return Long.toString(
                    KeyedRandom.of(key, "greenmask_unix_timestamp", value).between(min, max));
        });
    }

    private static long longParameter(Parameters p, String name) {
        String s = p.requiredString(name).strip();
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw p.invalid(name, s, "a whole number of seconds since 1970-01-01, as text");
        }
    }

    /**
     * Keyed noise: the value moved by up to {@code ratio} of itself (default 0.1) or by up to
     * {@code max_delta}, the same move for the same value. The number of decimals is kept (an
     * integer stays an integer), and on {@code smallint}/{@code integer}/{@code bigint} columns
     * the result is clamped to the type's range. NaN and infinities pass unchanged.
     */
    static Transformer noise(TransformerContext c) {
        ColumnTypes.require(c, "number_noise", ColumnTypes.NUMBERS);
        Parameters p = c.parameters();
        double ratio = p.decimal("ratio", Double.NaN);
        double delta = p.decimal("max_delta", Double.NaN);
        if (!Double.isNaN(ratio) && !Double.isNaN(delta)) {
            throw p.invalid("max_delta", delta, "either ratio or max_delta, not both");
        }
        if (Double.isNaN(ratio) && Double.isNaN(delta)) {
            ratio = 0.1;
        }
        if (!Double.isNaN(ratio) && !(ratio > 0 && ratio <= 1e6)) {
            throw p.invalid("ratio", ratio, "a number above 0, e.g. 0.1 for up to 10%");
        }
        if (!Double.isNaN(delta) && !(delta > 0 && Double.isFinite(delta))) {
            throw p.invalid("max_delta", delta, "a number above 0");
        }
        p.requireAllUsed();
        BigDecimal[] bounds = integerBounds(c.type());
        DomainKey key = c.key();
        double r = ratio;
        return transformer(Uniqueness.NONE, value -> {
            String lower = value.strip().toLowerCase(Locale.ROOT);
            if (lower.equals("nan") || lower.endsWith("infinity")) {
                return value;
            }
            BigDecimal v = number(value);
            double u = KeyedRandom.of(key, "number_noise", value).nextDouble() * 2 - 1;
            BigDecimal move = Double.isNaN(r) ? BigDecimal.valueOf(u * delta) : v.multiply(BigDecimal.valueOf(u * r));
            BigDecimal out = v.add(move).setScale(Math.max(v.scale(), 0), RoundingMode.HALF_EVEN);
            if (bounds != null) {
                out = out.max(bounds[0]).min(bounds[1]);
            }
            return value.indexOf('e') >= 0 || value.indexOf('E') >= 0 ? out.toString() : out.toPlainString();
        });
    }

    private static BigDecimal[] integerBounds(String type) {
        if (ColumnTypes.kind(type) != ColumnTypes.Kind.INTEGER) {
            return null;
        }
        String t = type.toLowerCase(Locale.ROOT);
        if (t.contains("small") || t.equals("int2")) {
            return new BigDecimal[] {BigDecimal.valueOf(Short.MIN_VALUE), BigDecimal.valueOf(Short.MAX_VALUE)};
        }
        if (t.contains("big") || t.equals("int8")) {
            return new BigDecimal[] {BigDecimal.valueOf(Long.MIN_VALUE), BigDecimal.valueOf(Long.MAX_VALUE)};
        }
        return new BigDecimal[] {BigDecimal.valueOf(Integer.MIN_VALUE), BigDecimal.valueOf(Integer.MAX_VALUE)};
    }

    /** The value as a number, or a TransformException naming what was expected. */
    static BigDecimal number(String value) {
        try {
            return new BigDecimal(value.strip());
        } catch (NumberFormatException e) {
            throw new TransformException("not a number");
        }
    }
}
