package dev.sluice.transform.rules;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * A YAML document read into maps, lists and scalars that remember their line, so that every error
 * about the rules file can name the line it is about. Duplicate keys are refused: YAML parsers
 * usually keep the last, which would silently drop a rule.
 */
final class YamlTree {

    private YamlTree() {}

    /** A node and the line it starts on (1-based). */
    sealed interface Node {
        int line();

        /** What the node is, for "expected a mapping, found a list" messages. */
        String kind();
    }

    /** A mapping; keys in file order, each with the line of the key. */
    record MapNode(int line, Map<String, Entry> entries) implements Node {
        @Override
        public String kind() {
            return "a mapping";
        }
    }

    record Entry(String key, int line, Node value) {}

    record ListNode(int line, List<Node> items) implements Node {
        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar: String, Long, Double, Boolean, or null for YAML's null. {@code text} is the value
     * as written ("null" or "" for a null), for keys such as {@code on_error: null} where YAML's
     * null is meant as a word.
     */
    record Scalar(int line, Object value, String text) implements Node {
        @Override
        public String kind() {
            return value == null ? "nothing" : value instanceof String ? "text" : "'" + value + "'";
        }
    }

    /** Parses a whole document; an empty document is an empty mapping at line 1. */
    static Node parse(String origin, String yaml) {
        try (JsonParser parser = new YAMLFactory().createParser(yaml)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                return new MapNode(1, Map.of());
            }
            Node root = read(origin, parser, token);
            if (parser.nextToken() != null) {
                throw new SluiceException(
                        Reason.CONFIG, origin + ":" + line(parser) + ": a second YAML document; put all rules in one");
            }
            return root;
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
                // Where the problem is, rather than where the construct it broke began.
                line = marked.getProblemMark().getLine() + 1;
            }
            throw new SluiceException(
                    Reason.CONFIG,
                    origin + (line > 0 ? ":" + line : "") + ": not valid YAML: " + firstLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new SluiceException(Reason.CONFIG, origin + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Node read(String origin, JsonParser parser, JsonToken token) throws IOException {
        int line = line(parser);
        switch (token) {
            case START_OBJECT -> {
                Map<String, Entry> entries = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    int keyLine = line(parser);
                    Node value = read(origin, parser, parser.nextToken());
                    Entry previous = entries.put(key, new Entry(key, keyLine, value));
                    if (previous != null) {
                        throw new SluiceException(
                                Reason.CONFIG,
                                origin + ":" + keyLine + ": '" + key + "' appears twice in one mapping (first at line "
                                        + previous.line() + ")");
                    }
                }
                return new MapNode(line, entries);
            }
            case START_ARRAY -> {
                List<Node> items = new ArrayList<>();
                JsonToken next;
                while ((next = parser.nextToken()) != JsonToken.END_ARRAY) {
                    items.add(read(origin, parser, next));
                }
                return new ListNode(line, items);
            }
            case VALUE_STRING -> {
                return new Scalar(line, parser.getText(), parser.getText());
            }
            case VALUE_NUMBER_INT -> {
                return new Scalar(
                        line,
                        parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER
                                ? parser.getText()
                                : (Object) parser.getLongValue(),
                        parser.getText());
            }
            case VALUE_NUMBER_FLOAT -> {
                return new Scalar(line, parser.getDoubleValue(), parser.getText());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return new Scalar(line, parser.getBooleanValue(), parser.getText());
            }
            case VALUE_NULL -> {
                return new Scalar(line, null, parser.getText());
            }
            default ->
                throw new SluiceException(
                        Reason.CONFIG, origin + ":" + line + ": unexpected YAML element " + token.asString());
        }
    }

    private static int line(JsonParser parser) {
        return parser.currentTokenLocation().getLineNr();
    }

    /** SnakeYAML's message without its "in 'reader', line 3, column 5:" pointers and source excerpts. */
    private static String firstLine(String message) {
        if (message == null) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (String line : message.split("\n")) {
            String t = line.strip();
            if (t.isEmpty() || t.startsWith("in 'reader'") || t.startsWith("^") || line.startsWith("    ")) {
                continue;
            }
            parts.add(t);
        }
        return String.join("; ", parts);
    }

    /** A node as plain Java values (maps, lists, scalars), for transformer parameters. */
    static Object plain(Node node) {
        return switch (node) {
            case Scalar s -> s.value();
            case ListNode l -> {
                List<Object> items = new ArrayList<>();
                l.items().forEach(item -> items.add(plain(item)));
                yield items;
            }
            case MapNode m -> {
                Map<String, Object> map = new LinkedHashMap<>();
                m.entries().forEach((k, e) -> map.put(k, plain(e.value())));
                yield map;
            }
        };
    }
}
