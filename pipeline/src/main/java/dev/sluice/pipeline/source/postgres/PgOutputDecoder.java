package dev.sluice.pipeline.source.postgres;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes the messages of PostgreSQL's {@code pgoutput} plugin, protocol version 1 (no streaming of
 * in-progress transactions, no two-phase commit, text values only), into {@link ChangeEvent}s.
 *
 * <p>Each call to {@link #decode} takes the payload of one {@code XLogData} message. The decoder
 * keeps the relations and types the stream announces, so one instance must see every message of
 * one replication stream, in order. It is not thread-safe. Events it returns share nothing with the
 * buffer: the buffer may be reused as soon as {@code decode} returns.
 *
 * <p>A message that cannot be decoded (unknown type, unknown relation, truncated or over-long,
 * binary values, streaming or two-phase messages) raises a {@link SluiceException} of reason
 * {@link SluiceException.Reason#INTERNAL} whose message names the message type, the byte offset
 * within the message, and what was found there.
 *
 * @see <a href="https://www.postgresql.org/docs/current/protocol-logicalrep-message-formats.html">Logical
 *     Replication Message Formats</a>
 */
public final class PgOutputDecoder {

    /** Seconds from 1970-01-01 to 2000-01-01 UTC, PostgreSQL's timestamp epoch. */
    private static final long PG_EPOCH_SECONDS = 946_684_800L;

    private static final VarHandle INT16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private static final String UNCHANGED_TOAST = Tuple.unchangedToastMarker();

    private final Map<Integer, Relation> relations = new HashMap<>();
    private final Map<Integer, String> types = new HashMap<>();

    /** The relation of the previous row message: consecutive rows of one table skip the map. */
    private Relation lastRelation;

    /** Holds a message copied out of a buffer without an accessible array (direct or read-only). */
    private byte[] scratch = new byte[0];

    // The message being decoded: bytes buf[start, end), next byte at pos, type byte at start.
    private byte[] buf;
    private int start;
    private int pos;
    private int end;

    /**
     * Decodes one message, from the buffer's position (its type byte) to its limit.
     *
     * @return the event, or {@code null} for a message that only updates the decoder's state
     *     (Relation, Type, Origin)
     * @throws SluiceException when the message is malformed or not one Sluice requests; the buffer's
     *     position is then left where it was
     */
    public ChangeEvent decode(ByteBuffer message) {
        int length = message.remaining();
        if (message.hasArray()) {
            buf = message.array();
            start = message.arrayOffset() + message.position();
        } else {
            if (scratch.length < length) {
                scratch = new byte[Math.max(length, 2 * scratch.length)];
            }
            message.get(message.position(), scratch, 0, length);
            buf = scratch;
            start = 0;
        }
        pos = start;
        end = start + length;
        try {
            ChangeEvent event = decodeMessage();
            if (pos != end) {
                throw malformed(
                        pos,
                        (end - pos) + " unexpected bytes after the end of the message"
                                + " (was a protocol version other than 1 requested?)");
            }
            message.position(message.limit());
            return event;
        } finally {
            buf = null; // do not keep the caller's array reachable between messages
        }
    }

    /** The relation last announced under {@code oid}, or {@code null} if none was. */
    public Relation relation(int oid) {
        return relations.get(oid);
    }

    /**
     * The {@code schema.name} of a type the stream announced, or {@code null}. pgoutput announces
     * only types outside the built-in range (enums, domains, composites, extension types), and for a
     * domain it sends the name of the domain's base type.
     */
    public String typeName(int oid) {
        return types.get(oid);
    }

    private ChangeEvent decodeMessage() {
        need(1, "the message type");
        byte type = buf[pos++];
        return switch (type) {
            case 'B' -> begin();
            case 'C' -> commit();
            case 'I' -> insert();
            case 'U' -> update();
            case 'D' -> delete();
            case 'T' -> truncate();
            case 'M' -> message();
            case 'R' -> relationMessage();
            case 'Y' -> typeMessage();
            case 'O' -> origin();
            case 'S', 'E', 'c', 'A' ->
                throw malformed(
                        start,
                        "streaming of in-progress transactions (protocol version 2+) was not requested;"
                                + " start the slot with proto_version '1' and without 'streaming'");
            case 'b', 'P', 'K', 'r', 'p' ->
                throw malformed(
                        start,
                        "two-phase commit decoding (protocol version 3+) was not requested;"
                                + " start the slot with proto_version '1' and without 'two_phase'");
            default -> throw malformed(start, "unknown message type");
        };
    }

    private ChangeEvent.Begin begin() {
        Lsn finalLsn = new Lsn(readLong("the final LSN"));
        Instant commitTime = timestamp(readLong("the commit timestamp"));
        long xid = Integer.toUnsignedLong(readInt("the transaction id"));
        return new ChangeEvent.Begin(xid, finalLsn, commitTime);
    }

    private ChangeEvent.Commit commit() {
        readByte("the flags");
        Lsn commitLsn = new Lsn(readLong("the commit LSN"));
        Lsn endLsn = new Lsn(readLong("the end LSN"));
        Instant commitTime = timestamp(readLong("the commit timestamp"));
        return new ChangeEvent.Commit(commitLsn, endLsn, commitTime);
    }

    private ChangeEvent.Insert insert() {
        Relation relation = knownRelation(readInt("the relation oid"));
        expectTupleKind('N', "'N' (new tuple)");
        return new ChangeEvent.Insert(relation, readTuple(relation, "new tuple"));
    }

    private ChangeEvent.Update update() {
        Relation relation = knownRelation(readInt("the relation oid"));
        int at = pos;
        byte kind = readByte("the tuple kind");
        Tuple before = null;
        if (kind == 'K' || kind == 'O') {
            before = readTuple(relation, kind == 'K' ? "old key" : "old tuple");
            at = pos;
            kind = readByte("the tuple kind");
        }
        if (kind != 'N') {
            throw malformed(at, "expected tuple kind 'K', 'O' or 'N' but found " + describe(kind));
        }
        return new ChangeEvent.Update(relation, before, readTuple(relation, "new tuple"));
    }

    private ChangeEvent.Delete delete() {
        Relation relation = knownRelation(readInt("the relation oid"));
        int at = pos;
        byte kind = readByte("the tuple kind");
        if (kind != 'K' && kind != 'O') {
            throw malformed(at, "expected tuple kind 'K' or 'O' but found " + describe(kind));
        }
        return new ChangeEvent.Delete(relation, readTuple(relation, kind == 'K' ? "old key" : "old tuple"));
    }

    private ChangeEvent.Truncate truncate() {
        int at = pos;
        int count = readInt("the relation count");
        if (count < 0 || count > (end - pos - 1) / 4) {
            throw malformed(at, "relation count " + count + " does not fit the " + (end - start) + "-byte message");
        }
        byte options = readByte("the options");
        List<Relation> truncated = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            truncated.add(knownRelation(readInt("a relation oid")));
        }
        return new ChangeEvent.Truncate(truncated, (options & 1) != 0, (options & 2) != 0);
    }

    private ChangeEvent.Message message() {
        boolean transactional = (readByte("the flags") & 1) != 0;
        Lsn lsn = new Lsn(readLong("the message LSN"));
        String prefix = readString("the prefix");
        int at = pos;
        int length = readInt("the content length");
        if (length < 0 || length > end - pos) {
            throw malformed(at, "content length " + length + " but " + (end - pos) + " bytes follow");
        }
        byte[] content = Arrays.copyOfRange(buf, pos, pos + length);
        pos += length;
        return new ChangeEvent.Message(lsn, transactional, prefix, content);
    }

    private ChangeEvent relationMessage() {
        int oid = readInt("the relation oid");
        String schema = namespace(readString("the namespace"));
        String name = readString("the relation name");
        int at = pos;
        byte identityCode = readByte("the replica identity");
        Relation.ReplicaIdentity identity;
        try {
            identity = Relation.ReplicaIdentity.fromCode((char) identityCode);
        } catch (IllegalArgumentException e) {
            throw malformed(
                    at,
                    "unknown replica identity " + describe(identityCode) + " for relation oid "
                            + Integer.toUnsignedString(oid));
        }
        int count = readUnsignedShort("the column count");
        List<Relation.Column> columns = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            boolean key = (readByte("the column flags") & 1) != 0;
            String column = readString("a column name");
            int typeOid = readInt("a column type oid");
            int typeModifier = readInt("a column type modifier");
            columns.add(new Relation.Column(column, typeOid, typeModifier, key));
        }
        Relation relation = new Relation(oid, new TableId(schema, name), identity, columns);
        relations.put(oid, relation);
        if (lastRelation != null && lastRelation.oid() == oid) {
            lastRelation = relation;
        }
        return null;
    }

    private ChangeEvent typeMessage() {
        int oid = readInt("the type oid");
        String schema = namespace(readString("the namespace"));
        String name = readString("the type name");
        types.put(oid, schema + "." + name);
        return null;
    }

    private ChangeEvent origin() {
        readLong("the origin LSN");
        readString("the origin name");
        return null;
    }

    /** Reads TupleData: one value per column of {@code relation}, in its order. */
    private Tuple readTuple(Relation relation, String image) {
        int at = pos;
        int count = readUnsignedShort("the column count");
        if (count != relation.columnCount()) {
            throw malformed(
                    at,
                    image + " has " + count + " columns but relation " + relation.table() + " (oid "
                            + Integer.toUnsignedString(relation.oid()) + ") was announced with "
                            + relation.columnCount());
        }
        byte[] b = buf;
        int p = pos;
        int e = end;
        String[] values = new String[count];
        for (int i = 0; i < count; i++) {
            if (p >= e) {
                throw truncated(p, 1, "the kind of column " + i + " of the " + image, relation, i);
            }
            byte kind = b[p++];
            switch (kind) {
                case 't' -> {
                    if (e - p < 4) {
                        throw truncated(p, 4, "the length of column " + i + " of the " + image, relation, i);
                    }
                    int length = (int) INT32.get(b, p);
                    p += 4;
                    if (length < 0 || length > e - p) {
                        throw malformed(
                                p - 4,
                                "column " + i + " (" + relation.column(i).name() + ") of the " + image + " claims "
                                        + length + " bytes but " + (e - p) + " follow");
                    }
                    values[i] = new String(b, p, length, UTF_8);
                    p += length;
                }
                case 'n' -> {
                    // SQL NULL: the array slot stays null.
                }
                case 'u' -> values[i] = UNCHANGED_TOAST;
                case 'b' ->
                    throw malformed(
                            p - 1,
                            "column " + i + " (" + relation.column(i).name() + ") of the " + image
                                    + " is in binary format, which was not requested; start the slot without"
                                    + " 'binary'");
                default ->
                    throw malformed(
                            p - 1,
                            "column " + i + " (" + relation.column(i).name() + ") of the " + image
                                    + " has unknown value kind " + describe(kind) + " (expected 't', 'n' or 'u')");
            }
        }
        pos = p;
        return Tuple.wrap(values);
    }

    private Relation knownRelation(int oid) {
        Relation relation = lastRelation;
        if (relation == null || relation.oid() != oid) {
            relation = relations.get(oid);
            if (relation == null) {
                throw malformed(
                        pos - 4,
                        "relation oid " + Integer.toUnsignedString(oid)
                                + " was never announced by a Relation message in this stream");
            }
            lastRelation = relation;
        }
        return relation;
    }

    private void expectTupleKind(char expected, String what) {
        int at = pos;
        byte kind = readByte("the tuple kind");
        if (kind != expected) {
            throw malformed(at, "expected tuple kind " + what + " but found " + describe(kind));
        }
    }

    private static String namespace(String sent) {
        return sent.isEmpty() ? "pg_catalog" : sent;
    }

    private static Instant timestamp(long microsSince2000) {
        return Instant.ofEpochSecond(
                PG_EPOCH_SECONDS + Math.floorDiv(microsSince2000, 1_000_000L),
                Math.floorMod(microsSince2000, 1_000_000L) * 1_000L);
    }

    // Readers: each checks the bytes left first, so a short message never escapes as an index error.

    private byte readByte(String what) {
        need(1, what);
        return buf[pos++];
    }

    private int readUnsignedShort(String what) {
        need(2, what);
        int value = Short.toUnsignedInt((short) INT16.get(buf, pos));
        pos += 2;
        return value;
    }

    private int readInt(String what) {
        need(4, what);
        int value = (int) INT32.get(buf, pos);
        pos += 4;
        return value;
    }

    private long readLong(String what) {
        need(8, what);
        long value = (long) INT64.get(buf, pos);
        pos += 8;
        return value;
    }

    /** Reads a NUL-terminated UTF-8 string. */
    private String readString(String what) {
        for (int i = pos; i < end; i++) {
            if (buf[i] == 0) {
                String value = new String(buf, pos, i - pos, UTF_8);
                pos = i + 1;
                return value;
            }
        }
        throw malformed(pos, "the message ends inside " + what + " (no terminating NUL byte)");
    }

    private void need(int bytes, String what) {
        if (end - pos < bytes) {
            throw malformed(
                    pos, "the message ends before " + what + " (" + bytes + " bytes needed, " + (end - pos) + " left)");
        }
    }

    private SluiceException truncated(int at, int bytes, String what, Relation relation, int column) {
        return malformed(
                at,
                "the message ends before " + what + " ("
                        + relation.column(column).name() + "; " + bytes + " bytes needed, " + (end - at) + " left)");
    }

    /** An error naming the message type, its size and the offset (from the type byte) of the problem. */
    private SluiceException malformed(int at, String problem) {
        String type = end > start ? messageType(buf[start]) : "empty message";
        return new SluiceException(
                SluiceException.Reason.INTERNAL,
                "pgoutput " + type + ", " + (end - start) + " bytes, at byte " + (at - start) + ": " + problem);
    }

    private static String messageType(byte type) {
        String name = switch (type) {
            case 'B' -> "Begin";
            case 'C' -> "Commit";
            case 'I' -> "Insert";
            case 'U' -> "Update";
            case 'D' -> "Delete";
            case 'T' -> "Truncate";
            case 'M' -> "Message";
            case 'R' -> "Relation";
            case 'Y' -> "Type";
            case 'O' -> "Origin";
            case 'S' -> "Stream Start";
            case 'E' -> "Stream Stop";
            case 'c' -> "Stream Commit";
            case 'A' -> "Stream Abort";
            case 'b' -> "Begin Prepare";
            case 'P' -> "Prepare";
            case 'K' -> "Commit Prepared";
            case 'r' -> "Rollback Prepared";
            case 'p' -> "Stream Prepare";
            default -> null;
        };
        return name == null ? "message of unknown type " + describe(type) : name + " message " + describe(type);
    }

    /** A byte as a quoted character when printable, and always in hex: {@code 'N' (0x4e)}. */
    private static String describe(byte b) {
        int u = b & 0xff;
        String hex = String.format("0x%02x", u);
        return u >= 0x20 && u < 0x7f ? "'" + (char) u + "' (" + hex + ")" : hex;
    }
}
