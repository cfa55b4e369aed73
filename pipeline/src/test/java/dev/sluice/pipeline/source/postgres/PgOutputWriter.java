package dev.sluice.pipeline.source.postgres;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;

/** Writes pgoutput protocol version 1 messages, byte for byte as PostgreSQL's proto.c does. */
final class PgOutputWriter {

    /** Stands for an unchanged TOASTed value ('u') in {@link #tuple}. */
    static final Object UNCHANGED = new Object();

    /** One column of a Relation message. */
    record Col(String name, int typeOid, int typeModifier, boolean key) {
        static Col key(String name, int typeOid) {
            return new Col(name, typeOid, -1, true);
        }

        static Col of(String name, int typeOid) {
            return new Col(name, typeOid, -1, false);
        }
    }

    static final int INT4 = 23;
    static final int TEXT = 25;
    static final int VARCHAR = 1043;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private PgOutputWriter() {}

    static PgOutputWriter message(char type) {
        return new PgOutputWriter().int8(type);
    }

    PgOutputWriter int8(int value) {
        out.write(value);
        return this;
    }

    PgOutputWriter int16(int value) {
        out.write(value >>> 8);
        out.write(value);
        return this;
    }

    PgOutputWriter int32(int value) {
        return int16(value >>> 16).int16(value);
    }

    PgOutputWriter int64(long value) {
        return int32((int) (value >>> 32)).int32((int) value);
    }

    PgOutputWriter bytes(byte[] bytes) {
        out.writeBytes(bytes);
        return this;
    }

    PgOutputWriter cstring(String value) {
        return bytes(value.getBytes(UTF_8)).int8(0);
    }

    /** TupleData: the column count, then per value 'n' (null), 'u' ({@link #UNCHANGED}) or 't' + length + UTF-8. */
    PgOutputWriter tuple(Object... values) {
        int16(values.length);
        for (Object value : values) {
            if (value == null) {
                int8('n');
            } else if (value == UNCHANGED) {
                int8('u');
            } else {
                byte[] text = ((String) value).getBytes(UTF_8);
                int8('t').int32(text.length).bytes(text);
            }
        }
        return this;
    }

    byte[] toBytes() {
        return out.toByteArray();
    }

    ByteBuffer toBuffer() {
        return ByteBuffer.wrap(toBytes());
    }

    static long pgMicros(Instant instant) {
        return (instant.getEpochSecond() - 946_684_800L) * 1_000_000L + instant.getNano() / 1_000;
    }

    static ByteBuffer begin(long finalLsn, Instant commitTime, int xid) {
        return message('B')
                .int64(finalLsn)
                .int64(pgMicros(commitTime))
                .int32(xid)
                .toBuffer();
    }

    static ByteBuffer commit(long commitLsn, long endLsn, Instant commitTime) {
        return message('C')
                .int8(0)
                .int64(commitLsn)
                .int64(endLsn)
                .int64(pgMicros(commitTime))
                .toBuffer();
    }

    static ByteBuffer relation(int oid, String namespace, String name, char identity, Col... cols) {
        PgOutputWriter w = message('R')
                .int32(oid)
                .cstring(namespace)
                .cstring(name)
                .int8(identity)
                .int16(cols.length);
        for (Col c : cols) {
            w.int8(c.key() ? 1 : 0).cstring(c.name()).int32(c.typeOid()).int32(c.typeModifier());
        }
        return w.toBuffer();
    }

    static ByteBuffer insert(int oid, Object... values) {
        return message('I').int32(oid).int8('N').tuple(values).toBuffer();
    }

    static ByteBuffer update(int oid, Object... values) {
        return message('U').int32(oid).int8('N').tuple(values).toBuffer();
    }

    /** An update with an old image: {@code oldKind} is 'K' (old key) or 'O' (old row). */
    static ByteBuffer updateWithOld(int oid, char oldKind, Object[] oldValues, Object... newValues) {
        return message('U')
                .int32(oid)
                .int8(oldKind)
                .tuple(oldValues)
                .int8('N')
                .tuple(newValues)
                .toBuffer();
    }

    static ByteBuffer delete(int oid, char oldKind, Object... oldValues) {
        return message('D').int32(oid).int8(oldKind).tuple(oldValues).toBuffer();
    }

    static ByteBuffer truncate(int options, int... oids) {
        PgOutputWriter w = message('T').int32(oids.length).int8(options);
        for (int oid : oids) {
            w.int32(oid);
        }
        return w.toBuffer();
    }

    static ByteBuffer logicalMessage(boolean transactional, long lsn, String prefix, byte[] content) {
        return message('M')
                .int8(transactional ? 1 : 0)
                .int64(lsn)
                .cstring(prefix)
                .int32(content.length)
                .bytes(content)
                .toBuffer();
    }

    static ByteBuffer type(int oid, String namespace, String name) {
        return message('Y').int32(oid).cstring(namespace).cstring(name).toBuffer();
    }

    static ByteBuffer origin(long lsn, String name) {
        return message('O').int64(lsn).cstring(name).toBuffer();
    }
}
