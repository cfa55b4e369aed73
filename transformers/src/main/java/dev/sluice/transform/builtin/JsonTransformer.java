package dev.sluice.transform.builtin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * pgstream's {@code json}: {@code operations}, applied in order to a {@code json}/{@code jsonb}
 * value. Each has {@code operation} ({@code set}, {@code delete}, or Sluice's {@code transform}),
 * {@code path}, {@code skip_not_exist} (default true: a missing path is skipped), {@code
 * error_not_exist} (default false: when not skipped, a missing path fails the value), and for
 * {@code set} a {@code value} (any YAML value, written as JSON) or a {@code value_template} (see
 * {@link Template}; {@code .GetValue} is the value at the path; the result is a JSON string). A
 * {@code transform} names a {@code transformer: {name, parameters}} applied to the text of each
 * value at the path, under the column's domain key.
 *
 * <p>Paths: gjson/sjson style ({@code address.city}, {@code purchases.#.item} for every element,
 * {@code items.0}, {@code a\.b} for a key with a dot) or a JSONPath subset ({@code $.a.b[0].c},
 * {@code $.items[*].name}, {@code $['a b']}).
 */
final class JsonTransformer implements Transformer {

    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private static final Object WILDCARD = new Object() {
        @Override
        public String toString() {
            return "#";
        }
    };

    enum Kind {
        SET,
        DELETE,
        TRANSFORM
    }

    record Operation(
            Kind kind,
            String path,
            List<Object> segments,
            boolean skipNotExist,
            boolean errorNotExist,
            JsonNode value,
            Template template,
            Transformer transformer) {}

    private final List<Operation> operations;
    /** The token-by-token copy when the operations allow one, else null. */
    private final JsonStreaming streaming;

    private JsonTransformer(List<Operation> operations) {
        this.operations = operations;
        this.streaming = JsonStreaming.of(operations).orElse(null);
    }

    static TransformerFactory factory() {
        return Factory.elementwise("json", JsonTransformer::create);
    }

    static Transformer create(TransformerContext c) {
        ColumnTypes.require(c, "json", ColumnTypes.Kind.JSON, ColumnTypes.Kind.TEXT);
        Parameters p = c.parameters();
        List<Operation> ops = new ArrayList<>();
        for (Op op : operations(p, "json")) {
            ops.add(operation(op.parameters(), c));
            op.parameters().requireAllUsed();
        }
        p.requireAllUsed();
        return new JsonTransformer(List.copyOf(ops));
    }

    /** One entry of {@code operations}: its parameters, and the map they came from. */
    record Op(Parameters parameters, Map<String, Object> values) {}

    /** The {@code operations} list of a rule, each entry as its own parameters for messages. */
    static List<Op> operations(Parameters p, String transformer) {
        Object raw = p.raw("operations").orElse(null);
        if (raw == null) {
            p.requiredString("operations");
        }
        if (!(raw instanceof List<?> list) || list.isEmpty()) {
            throw p.invalid("operations", raw, "a non-empty list of operations");
        }
        List<Op> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m)) {
                throw p.invalid("operations", list.get(i), "a map with operation and path");
            }
            Map<String, Object> values = new LinkedHashMap<>();
            m.forEach((k, v) -> values.put(String.valueOf(k), v));
            out.add(new Op(new Parameters(p.where() + ", operations[" + i + "]", transformer, values), values));
        }
        return out;
    }

    private static Operation operation(Parameters op, TransformerContext c) {
        Kind kind = Kind.valueOf(op.choice("operation", "", List.of("set", "delete", "transform"))
                .toUpperCase(java.util.Locale.ROOT));
        String path = op.requiredString("path");
        List<Object> segments = path(path, op);
        boolean skip = op.bool("skip_not_exist", true);
        boolean error = op.bool("error_not_exist", false);
        JsonNode value = null;
        Template template = null;
        Transformer transformer = null;
        switch (kind) {
            case SET -> {
                Object v = op.raw("value").orElse(null);
                String t = op.string("value_template").orElse(null);
                if (t != null) {
                    template = Template.parse(t, op, "value_template");
                } else if (v != null || op.raw("value").isPresent()) {
                    value = MAPPER.valueToTree(v);
                } else {
                    throw op.invalid("value", "nothing", "value or value_template in a set operation");
                }
            }
            case TRANSFORM -> transformer = nested(op, c);
            case DELETE -> {}
        }
        return new Operation(kind, path, segments, skip, error, value, template, transformer);
    }

    static Transformer nested(Parameters op, TransformerContext c) {
        Object raw = op.raw("transformer").orElse(null);
        if (!(raw instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)) {
            throw op.invalid("transformer", raw, "a map with the transformer's name and its parameters");
        }
        Object params = m.get("parameters");
        Map<String, Object> values = new LinkedHashMap<>();
        if (params instanceof Map<?, ?> pm) {
            pm.forEach((k, v) -> values.put(String.valueOf(k), v));
        } else if (params != null) {
            throw op.invalid("transformer", raw, "parameters as a map");
        }
        for (Object k : m.keySet()) {
            if (!k.equals("name") && !k.equals("parameters")) {
                throw op.invalid("transformer", k, "only name and parameters");
            }
        }
        TransformerFactory f = Builtins.all().stream()
                .filter(x -> x.name().equals(name))
                .findFirst()
                .orElseThrow(() -> op.invalid("transformer", name, "a built-in transformer's name"));
        Parameters nested = new Parameters(op.where() + ", transformer", name, values);
        return f.create(new TransformerContext(c.column(), null, nested, c.key()));
    }

    /** Parses a path into keys (String), indexes-or-keys (Integer with its text) and wildcards. */
    static List<Object> path(String path, Parameters p) {
        List<Object> out = new ArrayList<>();
        String s = path.strip();
        if (s.startsWith("$")) {
            int i = 1;
            while (i < s.length()) {
                char ch = s.charAt(i);
                if (ch == '.') {
                    int j = i + 1;
                    while (j < s.length() && s.charAt(j) != '.' && s.charAt(j) != '[') {
                        j++;
                    }
                    String key = s.substring(i + 1, j);
                    if (key.isEmpty()) {
                        throw p.invalid("path", path, "a path such as $.a.b[0].c");
                    }
                    out.add(key.equals("*") ? WILDCARD : key);
                    i = j;
                } else if (ch == '[') {
                    int close = s.indexOf(']', i);
                    if (close < 0) {
                        throw p.invalid("path", path, "a path such as $.a.b[0].c");
                    }
                    String inner = s.substring(i + 1, close).strip();
                    if (inner.equals("*")) {
                        out.add(WILDCARD);
                    } else if (inner.length() >= 2
                            && (inner.startsWith("'") && inner.endsWith("'")
                                    || inner.startsWith("\"") && inner.endsWith("\""))) {
                        out.add(inner.substring(1, inner.length() - 1));
                    } else {
                        try {
                            out.add(Integer.parseInt(inner));
                        } catch (NumberFormatException e) {
                            throw p.invalid("path", path, "[n], [*] or ['key'] in brackets");
                        }
                    }
                    i = close + 1;
                } else {
                    throw p.invalid("path", path, "a path such as $.a.b[0].c");
                }
            }
        } else {
            StringBuilder key = new StringBuilder();
            for (int i = 0; i <= s.length(); i++) {
                if (i == s.length() || s.charAt(i) == '.') {
                    String k = key.toString();
                    if (k.isEmpty()) {
                        throw p.invalid("path", path, "a path such as address.city or items.#.name");
                    }
                    out.add(
                            k.equals("#")
                                    ? WILDCARD
                                    : k.chars().allMatch(Character::isDigit) && k.length() < 10
                                            ? (Object) Integer.valueOf(k)
                                            : k);
                    key.setLength(0);
                } else if (s.charAt(i) == '\\' && i + 1 < s.length()) {
                    key.append(s.charAt(++i));
                } else {
                    key.append(s.charAt(i));
                }
            }
        }
        if (out.isEmpty()) {
            throw p.invalid("path", path, "a path to a value inside the document");
        }
        return List.copyOf(out);
    }

    @Override
    public String apply(String value) {
        if (streaming != null) {
            try {
                return streaming.apply(value);
            } catch (JsonStreaming.Fallback e) {
                // The tree decides this document's output or error.
            }
        }
        return applyTree(value);
    }

    /** The copy, if the operations allow one; for tests that compare it with the tree. */
    JsonStreaming streaming() {
        return streaming;
    }

    /** The operations applied to the whole document read as a tree: the reference behaviour. */
    String applyTree(String value) {
        JsonNode root;
        try {
            root = MAPPER.readTree(value);
        } catch (JsonProcessingException e) {
            throw new TransformException("not valid JSON");
        }
        if (root == null) {
            throw new TransformException("not valid JSON");
        }
        for (Operation op : operations) {
            root = apply(op, root);
        }
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new TransformException("could not write the JSON result");
        }
    }

    private JsonNode apply(Operation op, JsonNode root) {
        List<Object> segs = op.segments();
        boolean[] found = {false};
        visit(root, segs, 0, op, found);
        if (!found[0] && !op.skipNotExist()) {
            if (op.errorNotExist()) {
                throw new TransformException("path " + op.path() + " does not exist");
            }
            if (op.kind() == Kind.SET && !segs.contains(WILDCARD)) {
                create(root, segs, op);
            }
        }
        return root;
    }

    /** Walks to the parents of the path's last segment and applies the operation there. */
    private void visit(JsonNode node, List<Object> segs, int i, Operation op, boolean[] found) {
        Object seg = segs.get(i);
        boolean last = i == segs.size() - 1;
        if (seg == WILDCARD) {
            if (node instanceof ArrayNode a) {
                for (int k = a.size() - 1; k >= 0; k--) {
                    if (last) {
                        found[0] = true;
                        act(a, k, null, op);
                    } else {
                        visit(a.get(k), segs, i + 1, op, found);
                    }
                }
            } else if (node instanceof ObjectNode o) {
                for (String name : new ArrayList<>(iterable(o))) {
                    if (last) {
                        found[0] = true;
                        act(o, -1, name, op);
                    } else {
                        visit(o.get(name), segs, i + 1, op, found);
                    }
                }
            }
            return;
        }
        if (node instanceof ArrayNode a && seg instanceof Integer index) {
            if (index < a.size()) {
                if (last) {
                    found[0] = true;
                    act(a, index, null, op);
                } else {
                    visit(a.get(index), segs, i + 1, op, found);
                }
            }
        } else if (node instanceof ObjectNode o) {
            String name = seg.toString();
            if (o.has(name)) {
                if (last) {
                    found[0] = true;
                    act(o, -1, name, op);
                } else {
                    visit(o.get(name), segs, i + 1, op, found);
                }
            }
        }
    }

    private static List<String> iterable(ObjectNode o) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private void act(JsonNode parent, int index, String name, Operation op) {
        JsonNode current = parent instanceof ArrayNode a ? a.get(index) : parent.get(name);
        switch (op.kind()) {
            case DELETE -> {
                if (parent instanceof ArrayNode a) {
                    a.remove(index);
                } else {
                    ((ObjectNode) parent).remove(name);
                }
            }
            case SET -> put(parent, index, name, newValue(op, current));
            case TRANSFORM -> put(parent, index, name, transformed(op.transformer(), current));
        }
    }

    private static void put(JsonNode parent, int index, String name, JsonNode v) {
        if (parent instanceof ArrayNode a) {
            a.set(index, v);
        } else {
            ((ObjectNode) parent).set(name, v);
        }
    }

    private static JsonNode newValue(Operation op, JsonNode current) {
        if (op.template() == null) {
            return op.value().deepCopy();
        }
        String v = current == null || current.isNull()
                ? null
                : current.isValueNode() ? current.asText() : current.toString();
        return TextNode.valueOf(op.template().render(v));
    }

    static JsonNode transformed(Transformer t, JsonNode current) {
        if (current == null || current.isNull()) {
            return NullNode.getInstance();
        }
        String in = current.isValueNode() ? current.asText() : current.toString();
        String out = t.apply(in);
        if (out == null) {
            return NullNode.getInstance();
        }
        if (current.isNumber()) {
            try {
                return MAPPER.getNodeFactory().numberNode(new BigDecimal(out));
            } catch (NumberFormatException e) {
                return TextNode.valueOf(out);
            }
        }
        if (current.isBoolean() && (out.equals("t") || out.equals("f") || out.equals("true") || out.equals("false"))) {
            return MAPPER.getNodeFactory().booleanNode(out.startsWith("t"));
        }
        return TextNode.valueOf(out);
    }

    /** Creates the path (objects for keys, arrays padded with nulls for indexes) and sets it. */
    private static void create(JsonNode root, List<Object> segs, Operation op) {
        JsonNode node = root;
        for (int i = 0; i < segs.size(); i++) {
            Object seg = segs.get(i);
            boolean last = i == segs.size() - 1;
            Object next = last ? null : segs.get(i + 1);
            if (node instanceof ObjectNode o) {
                String name = seg.toString();
                if (last) {
                    o.set(name, newValue(op, null));
                    return;
                }
                JsonNode child = o.get(name);
                if (child == null || !child.isContainerNode()) {
                    child = next instanceof Integer ? o.putArray(name) : o.putObject(name);
                }
                node = child;
            } else if (node instanceof ArrayNode a && seg instanceof Integer index) {
                while (a.size() <= index) {
                    a.addNull();
                }
                if (last) {
                    a.set(index, newValue(op, null));
                    return;
                }
                JsonNode child = a.get(index);
                if (!child.isContainerNode()) {
                    child = next instanceof Integer ? a.arrayNode() : a.objectNode();
                    a.set(index, child);
                }
                node = child;
            } else {
                return;
            }
        }
    }
}
