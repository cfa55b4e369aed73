package dev.sluice.pipeline.kafka;

import java.util.Arrays;

/**
 * Packs one partition's records into Kafka record values, one JSON object per line, up to about
 * {@value #TARGET_BYTES} bytes each. A Kafka record costs the producer, the broker and the consumer
 * a fixed amount of work whatever its size, and a row record is about a hundred bytes: one per
 * value made that fixed cost the largest part of publishing and consuming a small row.
 *
 * <p>Holds at most one value's worth of bytes (plus the one record that fills it), whatever the
 * size of the transaction. Not thread-safe.
 */
public final class ValueBuffer {

    /** A value is handed out once it holds this many bytes; far below Kafka's 1 MB record limit. */
    public static final int TARGET_BYTES = 128 * 1024;

    private byte[] bytes = new byte[TARGET_BYTES + 1024];
    private int size;

    /** Adds a record; returns whether the value is full and should be {@linkplain #take() taken}. */
    public boolean add(byte[] record) {
        int needed = size + record.length + 1;
        if (needed > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(needed, bytes.length * 2));
        }
        System.arraycopy(record, 0, bytes, size, record.length);
        bytes[size + record.length] = '\n';
        size = needed;
        return size >= TARGET_BYTES;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    /** The records added since the last take, as one value; the buffer is empty afterwards. */
    public byte[] take() {
        byte[] value = Arrays.copyOf(bytes, size);
        clear();
        return value;
    }

    /** Forgets what was added (the Kafka transaction they belonged to was aborted). */
    public void clear() {
        size = 0;
        if (bytes.length > 2 * TARGET_BYTES) {
            // One huge row grew it: do not keep that much for the rest of the run.
            bytes = new byte[TARGET_BYTES + 1024];
        }
    }
}
