package dev.sluice.transform.builtin;

import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pgstream's {@code hstore}: {@code operations} applied in order to an {@code hstore} value
 * ({@code "k"=>"v", "n"=>NULL}). Each has {@code operation} ({@code set}, {@code delete}, or
 * Sluice's {@code transform}), {@code key}, {@code skip_not_exist} (default true: a missing key is
 * skipped, so a {@code set} never adds one unless it is false), {@code error_not_exist} (default
 * false), and for {@code set} a {@code value} (text or null) or a {@code value_template} ({@code
 * .GetValue} is the key's value); a {@code transform} names {@code transformer: {name,
 * parameters}}, applied to the key's value under the column's domain key (NULL stays NULL).
 */
final class HstoreTransformer implements Transformer {

    private record Operation(
            String kind,
            String key,
            boolean skipNotExist,
            boolean errorNotExist,
            String value,
            Template template,
            Transformer transformer) {}

    private final List<Operation> operations;

    private HstoreTransformer(List<Operation> operations) {
        this.operations = operations;
    }

    static TransformerFactory factory() {
        return Factory.elementwise("hstore", HstoreTransformer::create);
    }

    static Transformer create(TransformerContext c) {
        ColumnTypes.require(c, "hstore", ColumnTypes.TEXT);
        Parameters p = c.parameters();
        List<Operation> out = new ArrayList<>();
        for (JsonTransformer.Op entry : JsonTransformer.operations(p, "hstore")) {
            Parameters op = entry.parameters();
            String kind = op.choice("operation", "", List.of("set", "delete", "transform"));
            String key = op.requiredString("key");
            boolean skip = op.bool("skip_not_exist", true);
            boolean error = op.bool("error_not_exist", false);
            String value = null;
            Template template = null;
            Transformer transformer = null;
            if (kind.equals("set")) {
                String t = op.string("value_template").orElse(null);
                Object v = op.raw("value").orElse(null);
                if (v instanceof Map || v instanceof List) {
                    throw op.invalid("value", v, "text or null");
                }
                value = v == null ? null : String.valueOf(v);
                if (t != null) {
                    template = Template.parse(t, op, "value_template");
                } else if (v == null && !entry.values().containsKey("value")) {
                    throw op.invalid("value", "nothing", "value (text or null) or value_template in a set operation");
                }
            } else if (kind.equals("transform")) {
                transformer = JsonTransformer.nested(op, c);
            }
            op.requireAllUsed();
            out.add(new Operation(kind, key, skip, error, value, template, transformer));
        }
        p.requireAllUsed();
        return new HstoreTransformer(List.copyOf(out));
    }

    @Override
    public String apply(String value) {
        Map<String, String> pairs = parse(value);
        for (Operation op : operations) {
            boolean exists = pairs.containsKey(op.key());
            if (!exists && op.skipNotExist()) {
                continue;
            }
            if (!exists && op.errorNotExist()) {
                throw new TransformException("key " + op.key() + " does not exist");
            }
            switch (op.kind()) {
                case "delete" -> pairs.remove(op.key());
                case "set" ->
                    pairs.put(op.key(), op.template() != null ? op.template().render(pairs.get(op.key())) : op.value());
                default -> {
                    String v = pairs.get(op.key());
                    if (v != null) {
                        pairs.put(op.key(), op.transformer().apply(v));
                    }
                }
            }
        }
        return format(pairs);
    }

    static Map<String, String> parse(String s) {
        Map<String, String> pairs = new LinkedHashMap<>();
        int[] pos = {skip(s, 0)};
        while (pos[0] < s.length()) {
            String key = token(s, pos, false);
            pos[0] = skip(s, pos[0]);
            if (!s.startsWith("=>", pos[0])) {
                throw notHstore();
            }
            pos[0] = skip(s, pos[0] + 2);
            String v = token(s, pos, true);
            pairs.put(key, v);
            pos[0] = skip(s, pos[0]);
            if (pos[0] < s.length()) {
                if (s.charAt(pos[0]) != ',') {
                    throw notHstore();
                }
                pos[0] = skip(s, pos[0] + 1);
                if (pos[0] >= s.length()) {
                    throw notHstore();
                }
            }
        }
        return pairs;
    }

    private static String token(String s, int[] pos, boolean value) {
        int i = pos[0];
        if (i >= s.length()) {
            throw notHstore();
        }
        StringBuilder b = new StringBuilder();
        if (s.charAt(i) == '"') {
            i++;
            while (true) {
                if (i >= s.length()) {
                    throw notHstore();
                }
                char ch = s.charAt(i++);
                if (ch == '"') {
                    break;
                }
                if (ch == '\\') {
                    if (i >= s.length()) {
                        throw notHstore();
                    }
                    ch = s.charAt(i++);
                }
                b.append(ch);
            }
            pos[0] = i;
            return b.toString();
        }
        while (i < s.length()) {
            char ch = s.charAt(i);
            if (Character.isWhitespace(ch) || ch == ',' || ch == '=' || ch == '"') {
                break;
            }
            if (ch == '\\' && i + 1 < s.length()) {
                ch = s.charAt(++i);
            }
            b.append(ch);
            i++;
        }
        if (b.isEmpty()) {
            throw notHstore();
        }
        pos[0] = i;
        String t = b.toString();
        return value && t.equalsIgnoreCase("NULL") ? null : t;
    }

    private static int skip(String s, int i) {
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        return i;
    }

    static String format(Map<String, String> pairs) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> e : pairs.entrySet()) {
            if (!b.isEmpty()) {
                b.append(", ");
            }
            quote(b, e.getKey());
            b.append("=>");
            if (e.getValue() == null) {
                b.append("NULL");
            } else {
                quote(b, e.getValue());
            }
        }
        return b.toString();
    }

    private static void quote(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') {
                b.append('\\');
            }
            b.append(ch);
        }
        b.append('"');
    }

    private static TransformException notHstore() {
        return new TransformException("not an hstore value (\"key\"=>\"value\", ...)");
    }
}
