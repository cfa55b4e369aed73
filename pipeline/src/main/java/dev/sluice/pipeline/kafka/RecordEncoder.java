package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent;
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
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;

/**
 * Writes {@link StreamRecord}s as JSON, format version {@value #VERSION} ({@code docs/KAFKA.md}).
 *
 * <p>Every record starts with {@code v} and names its source transaction ({@code xid}, {@code
 * commit_lsn}), so a record read alone says where it belongs. A row record names its table by
 * {@code rel} (the source's relation OID) and carries the table's full description in {@code
 * relation} when it is the first row of that table in its transaction slice; the caller says
 * which. Not thread-safe: one instance per producing thread.
 */
public final class RecordEncoder {

    /**
     * The format version this Sluice writes: 2 packs several records into one Kafka record's value,
     * one per line ({@link ValueBuffer}); version 1 had one per value. Readers take both.
     */
    public static final int VERSION = 2;

    private static final JsonFactory JSON = new JsonFactory();

    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);

    /** A transaction slice's first record. */
    public byte[] start(Begin begin, String source, boolean snapshot) {
        return write(g -> {
            head(g, "begin", begin.xid(), begin.commitLsn());
            time(g, begin.commitTime());
            g.writeStringField("source", source);
            if (snapshot) {
                g.writeBooleanField("snapshot", true);
            }
        });
    }

    /** A barrier marker of transaction {@code xid} ({@link StreamRecord.Barrier}). */
    public byte[] barrier(long xid, Lsn commitLsn) {
        return write(g -> head(g, "barrier", xid, commitLsn));
    }

    /**
     * The source's sequence values ({@link StreamRecord.Sequences}), read after the source
     * transaction ending at {@code after}: a record of its own, between slices, with {@code xid} 0.
     * Values are written as strings, since a {@code bigint} may not fit a JSON reader's number.
     */
    public byte[] sequences(Lsn after, List<SequenceState> states) {
        return write(g -> {
            head(g, "sequences", 0, after);
            g.writeArrayFieldStart("sequences");
            for (SequenceState s : states) {
                g.writeStartObject();
                g.writeStringField("schema", s.sequence().schema());
                g.writeStringField("name", s.sequence().name());
                g.writeStringField("last_value", Long.toString(s.lastValue()));
                g.writeBooleanField("is_called", s.isCalled());
                g.writeEndObject();
            }
            g.writeEndArray();
        });
    }

    /**
     * A change of transaction {@code begin}.
     *
     * @param announce for a row change: whether to include the relation's description
     */
    public byte[] change(Begin begin, ChangeEvent event, boolean announce) {
        return write(g -> {
            switch (event) {
                case Insert insert -> {
                    row(g, "insert", begin, insert.relation(), announce);
                    tuple(g, "after", insert.after());
                }
                case Update update -> {
                    row(g, "update", begin, update.relation(), announce);
                    if (update.before() != null) {
                        tuple(g, "before", update.before());
                    }
                    tuple(g, "after", update.after());
                }
                case Delete delete -> {
                    row(g, "delete", begin, delete.relation(), announce);
                    tuple(g, "before", delete.before());
                }
                case Truncate truncate -> {
                    head(g, "truncate", begin.xid(), begin.commitLsn());
                    g.writeArrayFieldStart("relations");
                    for (Relation r : truncate.relations()) {
                        relation(g, r);
                    }
                    g.writeEndArray();
                    g.writeBooleanField("cascade", truncate.cascade());
                    g.writeBooleanField("restart_identity", truncate.restartIdentity());
                }
                case SchemaChange change -> {
                    head(g, "schema", begin.xid(), begin.commitLsn());
                    g.writeStringField("lsn", change.lsn().toString());
                    command(g, change.command());
                }
                case Commit commit -> {
                    head(g, "commit", begin.xid(), commit.commitLsn());
                    g.writeStringField("end_lsn", commit.endLsn().toString());
                    time(g, commit.commitTime());
                }
                case Begin b -> throw new IllegalArgumentException("a begin is written by start()");
                case ChangeEvent.Message m -> throw new IllegalArgumentException("logical messages are not published");
            }
        });
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private byte[] write(Body body) {
        buffer.reset();
        try (JsonGenerator g = JSON.createGenerator(buffer, JsonEncoding.UTF8)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    private static void head(JsonGenerator g, String kind, long xid, Lsn commitLsn) throws IOException {
        g.writeNumberField("v", VERSION);
        g.writeStringField("kind", kind);
        g.writeNumberField("xid", xid);
        g.writeStringField("commit_lsn", commitLsn.toString());
    }

    private static void time(JsonGenerator g, Instant time) throws IOException {
        if (time != null) {
            g.writeStringField("commit_time", time.toString());
        }
    }

    private static void row(JsonGenerator g, String kind, Begin begin, Relation relation, boolean announce)
            throws IOException {
        head(g, kind, begin.xid(), begin.commitLsn());
        g.writeNumberField("rel", relation.oid());
        if (announce) {
            g.writeFieldName("relation");
            relation(g, relation);
        }
    }

    private static void relation(JsonGenerator g, Relation r) throws IOException {
        g.writeStartObject();
        g.writeNumberField("oid", r.oid());
        g.writeStringField("schema", r.table().schema());
        g.writeStringField("table", r.table().name());
        g.writeStringField("replica_identity", r.replicaIdentity().name().toLowerCase(java.util.Locale.ROOT));
        g.writeArrayFieldStart("columns");
        for (Relation.Column c : r.columns()) {
            g.writeStartObject();
            g.writeStringField("name", c.name());
            g.writeNumberField("type", c.typeOid());
            if (c.typeModifier() != -1) {
                g.writeNumberField("typmod", c.typeModifier());
            }
            if (c.key()) {
                g.writeBooleanField("key", true);
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** Values as text, JSON null for SQL NULL; unchanged TOAST positions listed apart and written as null. */
    private static void tuple(JsonGenerator g, String name, Tuple tuple) throws IOException {
        g.writeArrayFieldStart(name);
        for (int i = 0; i < tuple.size(); i++) {
            if (tuple.isUnchangedToast(i) || tuple.isNull(i)) {
                g.writeNull();
            } else {
                g.writeString(tuple.get(i));
            }
        }
        g.writeEndArray();
        if (tuple.hasUnchangedToast()) {
            g.writeArrayFieldStart(name + "_unchanged");
            for (int i = 0; i < tuple.size(); i++) {
                if (tuple.isUnchangedToast(i)) {
                    g.writeNumber(i);
                }
            }
            g.writeEndArray();
        }
    }

    private static void command(JsonGenerator g, DdlCommand c) throws IOException {
        g.writeObjectFieldStart("command");
        g.writeStringField("tag", c.tag());
        if (c.statement().isPresent()) {
            g.writeStringField("statement", c.statement().get());
        }
        g.writeStringField("search_path", c.searchPath());
        g.writeArrayFieldStart("objects");
        for (DdlCommand.DdlObject o : c.objects()) {
            g.writeStartObject();
            g.writeStringField("type", o.type());
            g.writeStringField("identity", o.identity());
            if (o.table().isPresent()) {
                g.writeFieldName("table");
                table(g, o.table().get());
            }
            g.writeBooleanField("dropped", o.dropped());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("tables");
        for (DdlCommand.TableDefinition t : c.tables()) {
            g.writeStartObject();
            g.writeFieldName("table");
            table(g, t.table());
            g.writeArrayFieldStart("columns");
            for (DdlCommand.ColumnDefinition col : t.columns()) {
                g.writeStartObject();
                g.writeStringField("name", col.name());
                g.writeStringField("type", col.type());
                g.writeBooleanField("not_null", col.notNull());
                if (col.defaultExpression().isPresent()) {
                    g.writeStringField("default", col.defaultExpression().get());
                }
                g.writeStringField("identity", col.identity());
                g.writeStringField("generated", col.generated());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("primary_key");
            for (String k : t.primaryKey()) {
                g.writeString(k);
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeEndArray();
        if (c.rename().isPresent()) {
            g.writeObjectFieldStart("rename");
            switch (c.rename().get()) {
                case DdlCommand.ColumnRename r -> {
                    g.writeStringField("kind", "column");
                    g.writeFieldName("table");
                    table(g, r.table());
                    g.writeStringField("from", r.from());
                    g.writeStringField("to", r.to());
                }
                case DdlCommand.TableRename r -> {
                    g.writeStringField("kind", "table");
                    g.writeFieldName("from");
                    table(g, r.from());
                    g.writeFieldName("to");
                    table(g, r.to());
                }
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void table(JsonGenerator g, TableId table) throws IOException {
        g.writeStartObject();
        g.writeStringField("schema", table.schema());
        g.writeStringField("name", table.name());
        g.writeEndObject();
    }
}
