package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads row records (insert, update, delete) and the begin and commit records around them with
 * Jackson's streaming parser, rows straight into value arrays, without building a tree: these are
 * nearly all of a topic (a small transaction is a begin, a few rows and a commit), and a tree per
 * record was the largest cost of applying one. Any other record, or one with a field this reader
 * does not know, comes back as null, and {@link RecordDecoder} reads it with the tree model (which
 * also reports every error).
 */
final class RowReader {

    /**
     * The fields of one row, begin or commit record, as read; those its kind does not have are null
     * (or 0, false).
     */
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
            int[] afterUnchanged,
            String commitTime,
            String endLsn,
            String source,
            boolean snapshot) {}

    private static final Set<String> KINDS = Set.of("insert", "update", "delete", "begin", "commit");

    private final ObjectMapper json;
    private final JsonFactory factory;

    RowReader(ObjectMapper json) {
        this.json = json;
        this.factory = json.getFactory();
    }

    /**
     * The fields of the row, begin or commit record in {@code length} bytes of {@code value} from
     * {@code from}, or null when it is not one this reader handles.
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
            String commitTime = null;
            String endLsn = null;
            String source = null;
            boolean snapshot = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case "v" -> version = p.getValueAsInt(-1);
                    case "kind" -> {
                        kind = p.getText();
                        if (!KINDS.contains(kind)) {
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
                    case "commit_time" -> commitTime = p.currentToken() == JsonToken.VALUE_NULL ? null : p.getText();
                    case "end_lsn" -> endLsn = p.getText();
                    case "source" -> source = p.getText();
                    case "snapshot" -> snapshot = p.getBooleanValue();
                    default -> {
                        return null;
                    }
                }
            }
            if (version < 1 || version > RecordEncoder.VERSION || kind == null || commitLsn == null) {
                return null;
            }
            boolean complete = switch (kind) {
                case "begin" -> source != null;
                case "commit" -> endLsn != null;
                default -> true;
            };
            if (!complete) {
                return null;
            }
            return new Row(
                    version,
                    kind,
                    xid,
                    commitLsn,
                    rel,
                    relation,
                    before,
                    beforeUnchanged,
                    after,
                    afterUnchanged,
                    commitTime,
                    endLsn,
                    source,
                    snapshot);
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
