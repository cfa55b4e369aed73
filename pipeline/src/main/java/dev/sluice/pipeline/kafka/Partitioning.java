package dev.sluice.pipeline.kafka;

import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.kafka.common.utils.Utils;

/**
 * How the producer spreads a topic's records over its partitions, and so what stays in order: all
 * records of one partition are applied in source commit order, records of different partitions
 * independently. See {@code docs/KAFKA.md} for the trade-offs.
 */
public enum Partitioning {
    /** By source schema: a schema's tables, with their foreign keys and DDL, stay in order. The default. */
    SCHEMA,
    /** By table: each table in order; order across tables (foreign keys) only within one partition. */
    TABLE,
    /** By primary key: each row in order; tables without a usable key go by table. */
    KEY;

    public static Partitioning parse(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "schema" -> SCHEMA;
            case "table" -> TABLE;
            case "key", "primary_key", "primary-key" -> KEY;
            default ->
                throw new IllegalArgumentException(
                        "kafka.partitioning: '" + text + "' is not allowed (expected schema, table or key)");
        };
    }

    /** The lower-case name used in settings and in the topic's producer state. */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The routing key of a table's rows that do not go by key. */
    public String key(TableId table) {
        return this == SCHEMA ? table.schema() : table.schema() + "." + table.name();
    }

    /** The routing key of one row change (for an update whose key changed: of its new key). */
    public String key(RowChange change) {
        Relation r = change.relation();
        if (this != KEY || !keyed(r)) {
            return key(r.table());
        }
        Tuple row = switch (change) {
            case Insert i -> i.after();
            case Update u -> u.after();
            case Delete d -> d.before();
        };
        return keyOf(r, row);
    }

    /** The routing key of an update's old key, when the update changed its key; else null. */
    public String oldKey(RowChange change) {
        if (this != KEY || !(change instanceof Update u) || u.before() == null || !keyed(u.relation())) {
            return null;
        }
        return keyOf(u.relation(), u.before());
    }

    /** Rows go by key only where the key is the primary key or a unique index, not the whole row. */
    private static boolean keyed(Relation r) {
        return r.replicaIdentity() == Relation.ReplicaIdentity.DEFAULT
                || r.replicaIdentity() == Relation.ReplicaIdentity.INDEX;
    }

    private static String keyOf(Relation r, Tuple row) {
        StringBuilder key = new StringBuilder(r.table().schema())
                .append('.')
                .append(r.table().name());
        for (int i = 0; i < r.columnCount(); i++) {
            if (r.column(i).key()) {
                // Unit separator between values: it never occurs in PostgreSQL's text output.
                key.append('\u001f').append(row.isNull(i) || row.isUnchangedToast(i) ? "" : row.get(i));
            }
        }
        return key.toString();
    }

    /** The partition of a routing key: Kafka's own hash of keyed records, so tools agree. */
    public static int partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }
}
