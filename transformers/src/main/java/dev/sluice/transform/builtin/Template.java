package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * The subset of pgstream's Go templates Sluice runs: text with actions {@code {{ ... }}} (and the
 * {@code {{-}} / {@code -}}} whitespace trims), where an action is {@code .GetValue} (the value),
 * a string literal, or a call of {@code masking "<type>"}, {@code upper}, {@code lower} or {@code
 * trim} on one of those, also as a pipeline ({@code .GetValue | upper}); {@code {{/* comments *\/}}}
 * are dropped. Anything else, {@code .GetDynamicValue} (other columns of the row) and sprig or
 * greenmask functions included, is refused when the rules are loaded, with the list above.
 */
final class Template {

    static final String SUPPORTED = "text with {{ .GetValue }}, string literals, and masking \"<type>\", upper,"
            + " lower, trim applied to them, also as pipelines ({{ .GetValue | upper }})";

    private sealed interface Part permits Literal, Action {}

    private record Literal(String text) implements Part {}

    private record Action(Expr expr) implements Part {}

    private sealed interface Expr permits Value, Str, Call {}

    private record Value() implements Expr {}

    private record Str(String text) implements Expr {}

    private record Call(String function, UnaryOperator<String> apply, Expr argument) implements Expr {}

    private final List<Part> parts;

    private Template(List<Part> parts) {
        this.parts = parts;
    }

    /** Parses a template; errors name the parameter through {@code p}. */
    static Template parse(String text, Parameters p, String parameter) {
        List<Part> parts = new ArrayList<>();
        int i = 0;
        StringBuilder literal = new StringBuilder();
        while (i < text.length()) {
            int open = text.indexOf("{{", i);
            if (open < 0) {
                literal.append(text, i, text.length());
                break;
            }
            literal.append(text, i, open);
            int close = text.indexOf("}}", open + 2);
            if (close < 0) {
                throw p.invalid(parameter, text, "a template whose every {{ has a matching }}");
            }
            String body = text.substring(open + 2, close);
            boolean trimLeft = body.startsWith("-") && (body.length() == 1 || Character.isWhitespace(body.charAt(1)));
            boolean trimRight =
                    body.endsWith("-") && body.length() > 1 && Character.isWhitespace(body.charAt(body.length() - 2));
            if (trimLeft) {
                body = body.substring(1);
                while (literal.length() > 0 && Character.isWhitespace(literal.charAt(literal.length() - 1))) {
                    literal.setLength(literal.length() - 1);
                }
            }
            if (trimRight) {
                body = body.substring(0, body.length() - 1);
            }
            i = close + 2;
            if (trimRight) {
                while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
                    i++;
                }
            }
            String b = body.strip();
            if (b.startsWith("/*") && b.endsWith("*/")) {
                continue;
            }
            if (literal.length() > 0) {
                parts.add(new Literal(literal.toString()));
                literal.setLength(0);
            }
            parts.add(new Action(expression(b, p, parameter, text)));
        }
        if (literal.length() > 0) {
            parts.add(new Literal(literal.toString()));
        }
        return new Template(parts);
    }

    private static Expr expression(String body, Parameters p, String parameter, String text) {
        if (body.contains(".GetDynamicValue")) {
            throw p.invalid(
                    parameter,
                    text,
                    "no .GetDynamicValue: Sluice transformers see one column's value, not the rest of the row");
        }
        List<String> stages = splitPipeline(body);
        Expr expr = null;
        for (String stage : stages) {
            List<String> tokens = tokens(stage.strip(), p, parameter, text);
            if (tokens.isEmpty()) {
                throw refuse(p, parameter, text, "an empty action");
            }
            if (expr != null) {
                // A pipeline passes the previous result as the last argument.
                expr = call(tokens, expr, p, parameter, text);
            } else if (tokens.size() == 1) {
                expr = operand(tokens.get(0), p, parameter, text);
            } else {
                expr = call(
                        tokens.subList(0, tokens.size() - 1),
                        operand(tokens.get(tokens.size() - 1), p, parameter, text),
                        p,
                        parameter,
                        text);
            }
        }
        return expr;
    }

    private static Expr call(List<String> tokens, Expr argument, Parameters p, String parameter, String text) {
        String f = tokens.get(0);
        if (f.equals("masking")) {
            if (tokens.size() != 2 || !tokens.get(1).startsWith("\"")) {
                throw refuse(p, parameter, text, "masking without its type");
            }
            String type = unquote(tokens.get(1));
            if (!Masks.TYPES.contains(type) || type.equals("custom")) {
                throw p.invalid(
                        parameter,
                        text,
                        "masking types " + String.join(", ", Masks.TYPES.subList(1, Masks.TYPES.size())));
            }
            return new Call(f, Masks.byType(type), argument);
        }
        if (tokens.size() != 1) {
            throw refuse(p, parameter, text, "'" + String.join(" ", tokens) + "'");
        }
        return switch (f) {
            case "upper" -> new Call(f, s -> s.toUpperCase(Locale.ROOT), argument);
            case "lower" -> new Call(f, s -> s.toLowerCase(Locale.ROOT), argument);
            case "trim" -> new Call(f, String::strip, argument);
            default -> throw refuse(p, parameter, text, "function '" + f + "'");
        };
    }

    private static Expr operand(String token, Parameters p, String parameter, String text) {
        if (token.equals(".GetValue")) {
            return new Value();
        }
        if (token.startsWith("\"")) {
            return new Str(unquote(token));
        }
        if (token.startsWith(".GetDynamicValue")) {
            throw p.invalid(
                    parameter,
                    text,
                    "no .GetDynamicValue: Sluice transformers see one column's value, not the rest of the row");
        }
        throw refuse(p, parameter, text, "'" + token + "'");
    }

    private static RuntimeException refuse(Parameters p, String parameter, String text, String what) {
        return p.invalid(parameter, text, SUPPORTED + "; found " + what);
    }

    private static List<String> splitPipeline(String body) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < body.length(); i++) {
            char ch = body.charAt(i);
            if (ch == '\\' && quoted) {
                i++;
            } else if (ch == '"') {
                quoted = !quoted;
            } else if (ch == '|' && !quoted) {
                out.add(body.substring(start, i));
                start = i + 1;
            }
        }
        out.add(body.substring(start));
        return out;
    }

    private static List<String> tokens(String s, Parameters p, String parameter, String text) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char ch = s.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
            } else if (ch == '"') {
                int j = i + 1;
                while (j < s.length() && s.charAt(j) != '"') {
                    j += s.charAt(j) == '\\' ? 2 : 1;
                }
                if (j >= s.length()) {
                    throw p.invalid(parameter, text, "closed string literals");
                }
                out.add(s.substring(i, j + 1));
                i = j + 1;
            } else if (ch == '(' || ch == ')' || ch == '$') {
                throw refuse(p, parameter, text, "'" + s + "'");
            } else {
                int j = i;
                while (j < s.length() && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        return out;
    }

    private static String unquote(String token) {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i < token.length() - 1; i++) {
            char ch = token.charAt(i);
            if (ch == '\\' && i + 1 < token.length() - 1) {
                char n = token.charAt(++i);
                b.append(
                        switch (n) {
                            case 'n' -> '\n';
                            case 't' -> '\t';
                            case 'r' -> '\r';
                            default -> n;
                        });
            } else {
                b.append(ch);
            }
        }
        return b.toString();
    }

    String render(String value) {
        StringBuilder b = new StringBuilder();
        for (Part part : parts) {
            switch (part) {
                case Literal l -> b.append(l.text());
                case Action a -> b.append(eval(a.expr(), value));
            }
        }
        return b.toString();
    }

    private static String eval(Expr e, String value) {
        return switch (e) {
            case Value v -> {
                if (value == null) {
                    throw new TransformException("the template uses .GetValue and there is none");
                }
                yield value;
            }
            case Str s -> s.text();
            case Call c -> c.apply().apply(eval(c.argument(), value));
        };
    }

    /** Only literals and bare values, at least one value: a template that is injective. */
    boolean injective() {
        boolean value = false;
        for (Part part : parts) {
            if (part instanceof Action a) {
                if (!(a.expr() instanceof Value) && !(a.expr() instanceof Str)) {
                    return false;
                }
                value |= a.expr() instanceof Value;
            }
        }
        return value;
    }
}
