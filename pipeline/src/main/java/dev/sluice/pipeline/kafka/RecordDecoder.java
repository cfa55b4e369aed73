package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the records {@link RecordEncoder} writes, of one partition, in order.
 *
 * <p>A Kafka record's value holds one or more of them, one JSON object per line (format version
 * 1 wrote one per value, which reads the same way). Keeps the relations announced in the current
 * transaction slice, so one instance per partition; a row whose relation was not announced in its
 * slice is an error. Fails with a {@link SluiceException} naming topic, partition and offset for a
 * record of a format version it does not read or one it cannot read. Not thread-safe.
 */
public final class RecordDecoder {

    private static final Logger log = LoggerFactory.getLogger(RecordDecoder.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String topic;
    private final int partition;
    private final RowReader rows = new RowReader(JSON);
    private final Map<Integer, Relation> relations = new HashMap<>();
    /**
     * Every shape seen, by OID, across slices: a relation announced again unchanged is handed out
     * as the same instance, which the sink's per-table plans are keyed on (a new instance means a
     * new shape to plan for).
     */
    private final Map<Integer, Relation> shapes = new HashMap<>();

    private long xid;
    private Lsn commitLsn = Lsn.INVALID;
    /** The last commit time parsed, and its text: a commit repeats its begin's, parsed once. */
    private Instant lastTime;

    private String lastTimeText;
    /** Whether a begin was seen: before one, rows and commits are the tail of a slice already applied. */
    private boolean synced;

    public RecordDecoder(String topic, int partition) {
        this.topic = topic;
        this.partition = partition;
    }

    /**
     * Every record in the Kafka record at {@code offset}, in order. Until the first begin this
     * decoder has seen, rows and commits are skipped: a consumer starts at an offset whose record may
     * begin in the middle of a slice it already applied (the earliest retained record, or the group's
     * committed offset, which points at the Kafka record holding the first slice not yet durable).
     * Barrier and sequences records are handed over even there: on partition 0 a barrier stands
     * inside its transaction's slice, which may be such a tail, and the applier skips a barrier
     * already applied and moves sequences only up.
     */
    public List<StreamRecord> read(byte[] value, long offset) {
        List<StreamRecord> records = new ArrayList<>();
        int from = 0;
        while (from < value.length) {
            int to = from;
            while (to < value.length && value[to] != '\n') {
                to++;
            }
            if (to > from && (synced || startsOrStandsApart(value, from, to, offset))) {
                records.add(decode(value, from, to - from, offset));
            }
            from = to + 1;
        }
        if (!synced) {
            log.debug("Partition {} offset {}: rows skipped, before the first transaction begin", partition, offset);
        }
        return records;
    }

    /** Whether an unsynced decoder hands this record over: a begin (which syncs it), barrier or sequences. */
    private boolean startsOrStandsApart(byte[] value, int from, int to, long offset) {
        String kind = parse(value, from, to - from, offset).path("kind").asText();
        synced = kind.equals("begin");
        return synced || kind.equals("barrier") || kind.equals("sequences");
    }

    /** The one record that the value at {@code offset} holds. */
    public StreamRecord decode(byte[] value, long offset) {
        return decode(value, 0, value.length, offset);
    }

    private StreamRecord decode(byte[] value, int from, int length, long offset) {
        RowReader.Row row = rows.read(value, from, length);
        if (row != null) {
            try {
                return row(row, offset);
            } catch (RuntimeException e) {
                if (e instanceof SluiceException) {
                    throw e;
                }
                throw unreadable(offset, e.getMessage());
            }
        }
        JsonNode node = parse(value, from, length, offset);
        try {
            return read(node, offset);
        } catch (RuntimeException e) {
            if (e instanceof SluiceException) {
                throw e;
            }
            throw unreadable(offset, e.getMessage());
        }
    }

    private JsonNode parse(byte[] value, int from, int length, long offset) {
        JsonNode node;
        try {
            node = JSON.readTree(value, from, length);
        } catch (IOException e) {
            throw unreadable(
                    offset, "not JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (node == null || !node.isObject()) {
            throw unreadable(offset, "not a JSON object");
        }
        JsonNode v = node.get("v");
        if (v == null || !v.canConvertToInt()) {
            throw unreadable(offset, "no format version (field v)");
        }
        if (v.asInt() < 1 || v.asInt() > RecordEncoder.VERSION) {
            throw new SluiceException(
                    Reason.SOURCE_NOT_READY,
                    "Kafka topic " + topic + ", partition " + partition + ", offset " + offset + ": format version "
                            + v.asInt() + " is not one this Sluice reads (it reads version " + RecordEncoder.VERSION
                            + " and older). Run the same Sluice version (or newer) as the one that published the topic.");
        }
        return node;
    }

    private StreamRecord read(JsonNode n, long offset) {
        String kind = text(n, "kind");
        long recordXid = n.path("xid").asLong();
        Lsn recordCommit = Lsn.parse(text(n, "commit_lsn"));
        return switch (kind) {
            case "begin" ->
                start(
                        recordXid,
                        recordCommit,
                        textOrNull(n, "commit_time"),
                        text(n, "source"),
                        n.path("snapshot").asBoolean(false));
            case "barrier" -> new StreamRecord.Barrier(recordXid, recordCommit);
            case "sequences" -> sequences(n, recordCommit);
            case "commit" -> {
                inSlice(recordXid, recordCommit, offset);
                Instant time = time(textOrNull(n, "commit_time"));
                yield change(new Commit(recordCommit, Lsn.parse(text(n, "end_lsn")), time));
            }
            case "insert" -> {
                inSlice(recordXid, recordCommit, offset);
                Relation r = relation(n, offset);
                yield change(new Insert(r, tuple(n, "after", r)));
            }
            case "update" -> {
                inSlice(recordXid, recordCommit, offset);
                Relation r = relation(n, offset);
                Tuple before = n.has("before") ? tuple(n, "before", r) : null;
                yield change(new Update(r, before, tuple(n, "after", r)));
            }
            case "delete" -> {
                inSlice(recordXid, recordCommit, offset);
                Relation r = relation(n, offset);
                yield change(new Delete(r, tuple(n, "before", r)));
            }
            case "truncate" -> {
                inSlice(recordXid, recordCommit, offset);
                List<Relation> truncated = new ArrayList<>();
                n.path("relations").forEach(r -> truncated.add(intern(relationOf(r))));
                yield change(new Truncate(
                        truncated,
                        n.path("cascade").asBoolean(),
                        n.path("restart_identity").asBoolean()));
            }
            case "schema" -> {
                inSlice(recordXid, recordCommit, offset);
                yield change(new SchemaChange(Lsn.parse(text(n, "lsn")), command(n.get("command"))));
            }
            default ->
                throw new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Kafka topic " + topic + ", partition " + partition + ", offset " + offset + ": record kind '"
                                + kind + "' is not one this Sluice reads; a newer Sluice published it. Upgrade this"
                                + " consumer to the producer's version (consumers first, then the producer).");
        };
    }

    private static StreamRecord sequences(JsonNode n, Lsn after) {
        JsonNode list = n.get("sequences");
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("no 'sequences' list");
        }
        List<SequenceState> states = new ArrayList<>();
        for (JsonNode s : list) {
            TableId sequence = new TableId(text(s, "schema"), text(s, "name"));
            JsonNode called = s.get("is_called");
            if (called == null || !called.isBoolean()) {
                throw new IllegalArgumentException("sequence " + sequence + " has no boolean 'is_called'");
            }
            states.add(new SequenceState(sequence, Long.parseLong(text(s, "last_value")), called.asBoolean()));
        }
        return new StreamRecord.Sequences(after, states);
    }

    /** A slice begins: the relations of the one before are forgotten. */
    private StreamRecord start(long beginXid, Lsn beginCommit, String commitTimeText, String source, boolean snapshot) {
        relations.clear();
        xid = beginXid;
        commitLsn = beginCommit;
        return new StreamRecord.Start(new Begin(beginXid, beginCommit, time(commitTimeText)), source, snapshot);
    }

    /** A record the streaming reader read: checked and resolved like the tree path's. */
    private StreamRecord row(RowReader.Row row, long offset) {
        Lsn recordCommit = Lsn.parse(row.commitLsn());
        if (row.kind().equals("begin")) {
            return start(row.xid(), recordCommit, row.commitTime(), row.source(), row.snapshot());
        }
        inSlice(row.xid(), recordCommit, offset);
        if (row.kind().equals("commit")) {
            return change(new Commit(recordCommit, Lsn.parse(row.endLsn()), time(row.commitTime())));
        }
        Relation r = relationFor(row.relation(), row.rel(), offset);
        return switch (row.kind()) {
            case "insert" -> change(new Insert(r, tuple(row.after(), row.afterUnchanged(), "after", r)));
            case "update" ->
                change(new Update(
                        r,
                        row.before() == null ? null : tuple(row.before(), row.beforeUnchanged(), "before", r),
                        tuple(row.after(), row.afterUnchanged(), "after", r)));
            default -> change(new Delete(r, tuple(row.before(), row.beforeUnchanged(), "before", r)));
        };
    }

    private static Tuple tuple(String[] values, int[] unchanged, String field, Relation r) {
        if (values == null) {
            throw new IllegalArgumentException("no '" + field + "' values");
        }
        if (values.length != r.columnCount()) {
            throw new IllegalArgumentException("'" + field + "' holds " + values.length + " values, table " + r.table()
                    + " has " + r.columnCount() + " columns");
        }
        if (unchanged != null) {
            for (int i : unchanged) {
                values[i] = Tuple.unchangedToastMarker();
            }
        }
        return Tuple.wrap(values);
    }

    private static StreamRecord change(dev.sluice.core.event.ChangeEvent event) {
        return new StreamRecord.Change(event);
    }

    private void inSlice(long recordXid, Lsn recordCommit, long offset) {
        if (recordXid != xid || !recordCommit.equals(commitLsn)) {
            throw unreadable(
                    offset,
                    "a change of transaction " + recordXid + " (commit " + recordCommit
                            + ") outside that transaction's begin");
        }
    }

    private Relation relation(JsonNode n, long offset) {
        return relationFor(n.get("relation"), n.path("rel").asInt(), offset);
    }

    /** The relation a row names: announced with it, or announced earlier in its slice. */
    private Relation relationFor(JsonNode announced, int oid, long offset) {
        if (announced != null) {
            Relation r = intern(relationOf(announced));
            relations.put(r.oid(), r);
            return r;
        }
        Relation r = relations.get(oid);
        if (r == null) {
            throw unreadable(offset, "relation " + oid + " was not announced in its transaction");
        }
        return r;
    }

    private Relation intern(Relation r) {
        Relation known = shapes.get(r.oid());
        if (r.equals(known)) {
            return known;
        }
        shapes.put(r.oid(), r);
        return r;
    }

    private static Relation relationOf(JsonNode r) {
        List<Relation.Column> columns = new ArrayList<>();
        r.path("columns")
                .forEach(c -> columns.add(new Relation.Column(
                        c.path("name").asText(),
                        c.path("type").asInt(),
                        c.path("typmod").asInt(-1),
                        c.path("key").asBoolean(false))));
        return new Relation(
                r.path("oid").asInt(),
                new TableId(r.path("schema").asText(), r.path("table").asText()),
                Relation.ReplicaIdentity.valueOf(
                        r.path("replica_identity").asText("default").toUpperCase(Locale.ROOT)),
                columns);
    }

    private static Tuple tuple(JsonNode n, String field, Relation r) {
        JsonNode values = n.get(field);
        if (values == null || !values.isArray()) {
            throw new IllegalArgumentException("no '" + field + "' values");
        }
        if (values.size() != r.columnCount()) {
            throw new IllegalArgumentException("'" + field + "' holds " + values.size() + " values, table " + r.table()
                    + " has " + r.columnCount() + " columns");
        }
        String[] out = new String[values.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode value = values.get(i);
            out[i] = value.isNull() ? null : value.asText();
        }
        JsonNode unchanged = n.get(field + "_unchanged");
        if (unchanged != null) {
            unchanged.forEach(i -> out[i.asInt()] = Tuple.unchangedToastMarker());
        }
        return Tuple.wrap(out);
    }

    private static DdlCommand command(JsonNode c) {
        List<DdlCommand.DdlObject> objects = new ArrayList<>();
        c.path("objects")
                .forEach(o -> objects.add(new DdlCommand.DdlObject(
                        o.path("type").asText(),
                        o.path("identity").asText(),
                        o.has("table") ? Optional.of(table(o.get("table"))) : Optional.empty(),
                        o.path("dropped").asBoolean())));
        List<DdlCommand.TableDefinition> tables = new ArrayList<>();
        c.path("tables").forEach(t -> {
            List<DdlCommand.ColumnDefinition> columns = new ArrayList<>();
            t.path("columns")
                    .forEach(col -> columns.add(new DdlCommand.ColumnDefinition(
                            col.path("name").asText(),
                            col.path("type").asText(),
                            col.path("not_null").asBoolean(),
                            col.has("default") ? Optional.of(col.get("default").asText()) : Optional.empty(),
                            col.path("identity").asText(""),
                            col.path("generated").asText(""))));
            List<String> key = new ArrayList<>();
            t.path("primary_key").forEach(k -> key.add(k.asText()));
            tables.add(new DdlCommand.TableDefinition(table(t.get("table")), columns, key));
        });
        Optional<DdlCommand.Rename> rename = Optional.empty();
        JsonNode r = c.get("rename");
        if (r != null) {
            rename = Optional.of(
                    r.path("kind").asText().equals("table")
                            ? new DdlCommand.TableRename(table(r.get("from")), table(r.get("to")))
                            : new DdlCommand.ColumnRename(
                                    table(r.get("table")),
                                    r.path("from").asText(),
                                    r.path("to").asText()));
        }
        return new DdlCommand(
                c.path("tag").asText(),
                c.has("statement") ? Optional.of(c.get("statement").asText()) : Optional.empty(),
                c.path("search_path").asText(""),
                objects,
                tables,
                rename);
    }

    private static TableId table(JsonNode t) {
        return new TableId(t.path("schema").asText(), t.path("name").asText());
    }

    /** A commit time; the one parsed last when the text is the same (a commit's is its begin's). */
    private Instant time(String text) {
        if (text == null) {
            return null;
        }
        if (!text.equals(lastTimeText)) {
            lastTime = Instant.parse(text);
            lastTimeText = text;
        }
        return lastTime;
    }

    private static String textOrNull(JsonNode n, String field) {
        JsonNode t = n.get(field);
        return t == null || t.isNull() ? null : t.asText();
    }

    private static String text(JsonNode n, String field) {
        JsonNode value = n.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("no field '" + field + "'");
        }
        return value.asText();
    }

    private SluiceException unreadable(long offset, String why) {
        return new SluiceException(
                Reason.SOURCE_NOT_READY,
                "Kafka topic " + topic + ", partition " + partition + ", offset " + offset
                        + ": not a Sluice change record: " + why);
    }
}
