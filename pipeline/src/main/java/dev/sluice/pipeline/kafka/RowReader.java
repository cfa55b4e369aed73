package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a row record (insert, update, delete) with Jackson's streaming parser, straight into
 * value arrays, without building a tree: row records are nearly all of a topic, and a tree per
 * record was the largest cost of applying one. Any other record, or a row record with a field this
 * reader does not know, comes back as null, and {@link RecordDecoder} reads it with the tree model
 * (which also reports every error).
 */
final class RowReader {

    /** The fields of one row record, as read. */
    record Row(
            int version,
            String kind,
            long xid,
            String commitLsn,
            int rel,
            JsonNode relation,
            String[] before,
            int[] beforeUnchanged,
            String[] after,
            int[] afterUnchanged) {}

    private final ObjectMapper json;
    private final JsonFactory factory;

    RowReader(ObjectMapper json) {
        this.json = json;
        this.factory = json.getFactory();
    }

    /**
     * The fields of the row record in {@code length} bytes of {@code value} from {@code from}, or
     * null when it is not a row record this reader handles.
     */
    Row read(byte[] value, int from, int length) {
        try (JsonParser p = factory.createParser(value, from, length)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            int version = -1;
            String kind = null;
            long xid = 0;
            String commitLsn = null;
            int rel = 0;
            JsonNode relation = null;
            String[] before = null;
            String[] after = null;
            int[] beforeUnchanged = null;
            int[] afterUnchanged = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "v" -> version = p.getValueAsInt(-1);
                    case "kind" -> {
                        kind = p.getText();
                        if (!kind.equals("insert") && !kind.equals("update") && !kind.equals("delete")) {
                            return null;
                        }
                    }
                    case "xid" -> xid = p.getValueAsLong();
                    case "commit_lsn" -> commitLsn = p.getText();
                    case "rel" -> rel = p.getValueAsInt();
                    case "relation" -> relation = json.readTree(p);
                    case "before" -> before = values(p);
                    case "after" -> after = values(p);
                    case "before_unchanged" -> beforeUnchanged = indexes(p);
                    case "after_unchanged" -> afterUnchanged = indexes(p);
                    default -> {
                        return null;
                    }
                }
            }
            if (version < 1 || version > RecordEncoder.VERSION || kind == null || commitLsn == null) {
                return null;
            }
            return new Row(
                    version, kind, xid, commitLsn, rel, relation, before, beforeUnchanged, after, afterUnchanged);
        } catch (IOException | RuntimeException e) {
            // Malformed for this reader: the tree model reads it again and says what is wrong.
            return null;
        }
    }

    /** Text values and nulls of an array. */
    private static String[] values(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException("not an array of values");
        }
        List<String> values = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t == JsonToken.VALUE_NULL) {
                values.add(null);
            } else if (t.isScalarValue()) {
                values.add(p.getText());
            } else {
                throw new IOException("not a value");
            }
        }
        return values.toArray(String[]::new);
    }

    private static int[] indexes(JsonParser p) throws IOException {
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw new IOException("not an array of indexes");
        }
        List<Integer> indexes = new ArrayList<>();
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT) {
                throw new IOException("not an index");
            }
            indexes.add(p.getIntValue());
        }
        return indexes.stream().mapToInt(Integer::intValue).toArray();
    }
}
