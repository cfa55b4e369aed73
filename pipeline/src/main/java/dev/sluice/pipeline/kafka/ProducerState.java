package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.transform.rules.Anonymizer.ColumnRef;
import dev.sluice.transform.rules.RuleNames;
import java.io.IOException;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the topic holds of the source, as the producer recorded it in the same Kafka transaction as
 * the records: kept as the offset metadata of group {@link KafkaTopic#producerGroup}, which Kafka
 * commits atomically with the transaction's records. So after any crash the state and the topic
 * agree, and the producer resumes exactly after the last source transaction the topic holds.
 *
 * <p>The producer has no target to remember what anonymization learnt while streaming, so the state
 * carries it too: the renames made on the source since the rules were written (a renamed table or
 * column keeps its rules), and the columns strict mode writes without their values (they do not
 * stop a restart). Both are compact: only what differs from the rules, by table.
 *
 * @param endLsn end position of the last source transaction published (the snapshot's position
 *     right after the initial copy)
 * @param source the source database's identity
 * @param renamed the renames as the rules see them: current names to the names the rules use
 * @param withoutValues columns written without their values for want of a rule
 */
public record ProducerState(
        Lsn endLsn,
        String source,
        Partitioning partitioning,
        int partitions,
        RuleNames.Known renamed,
        Set<ColumnRef> withoutValues) {

    /** Kafka brokers' default {@code offset.metadata.max.bytes}: the longest metadata they keep. */
    public static final int DEFAULT_METADATA_MAX = 4096;

    private static final ObjectMapper JSON = new ObjectMapper();

    public ProducerState {
        withoutValues = Set.copyOf(withoutValues);
    }

    /** The state as offset metadata, in a stable order so that equal states read alike. */
    public String toMetadata() {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", RecordEncoder.VERSION);
        n.put("end_lsn", endLsn.toString());
        n.put("source", source);
        n.put("partitioning", partitioning.text());
        n.put("partitions", partitions);
        if (!renamed.isEmpty()) {
            n.set("renamed", renamedJson());
        }
        if (!withoutValues.isEmpty()) {
            n.set("without_values", withoutValuesJson());
        }
        return n.toString();
    }

    /**
     * The state as offset metadata, refused when it is longer than the brokers keep: they would
     * reject the commit of the whole Kafka transaction.
     *
     * @param topic the topic, named in the message
     * @param max the brokers' {@code offset.metadata.max.bytes}
     */
    public String toMetadata(String topic, int max) {
        String metadata = toMetadata();
        if (metadata.length() > max) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Kafka topic " + topic + ": the producer state is " + metadata.length() + " characters long ("
                            + (renamed.tables().size() + renamed.columns().size()) + " renamed table(s) and tables"
                            + " with renamed columns, " + withoutValues.size() + " column(s) without a rule), more than"
                            + " the brokers keep as offset metadata (offset.metadata.max.bytes = " + max + ")."
                            + " Raise offset.metadata.max.bytes on the brokers, or cover the columns without a rule"
                            + " in the rules (by their current names) and restart the producer.");
        }
        return metadata;
    }

    /** [{s, t, rt: [schema, name] when the table was renamed, rc: {current: rule name}}], by table. */
    private ArrayNode renamedJson() {
        Set<TableId> tables =
                new TreeSet<>(Comparator.comparing(TableId::schema).thenComparing(TableId::name));
        tables.addAll(renamed.tables().keySet());
        tables.addAll(renamed.columns().keySet());
        ArrayNode list = JSON.createArrayNode();
        for (TableId t : tables) {
            ObjectNode entry = list.addObject().put("s", t.schema()).put("t", t.name());
            TableId rule = renamed.tables().get(t);
            if (rule != null) {
                entry.putArray("rt").add(rule.schema()).add(rule.name());
            }
            Map<String, String> columns = renamed.columns().get(t);
            if (columns != null) {
                ObjectNode rc = entry.putObject("rc");
                new TreeMap<>(columns).forEach(rc::put);
            }
        }
        return list;
    }

    /** [{s, t, c: [column, ...]}], by table. */
    private ArrayNode withoutValuesJson() {
        Map<TableId, Set<String>> byTable =
                new TreeMap<>(Comparator.comparing(TableId::schema).thenComparing(TableId::name));
        withoutValues.forEach(
                c -> byTable.computeIfAbsent(c.table(), t -> new TreeSet<>()).add(c.column()));
        ArrayNode list = JSON.createArrayNode();
        byTable.forEach((t, columns) -> {
            ArrayNode c =
                    list.addObject().put("s", t.schema()).put("t", t.name()).putArray("c");
            columns.forEach(c::add);
        });
        return list;
    }

    public static Optional<ProducerState> fromMetadata(String topic, String metadata) {
        if (metadata == null || metadata.isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode n = JSON.readTree(metadata);
            // Version 1 topics continue in version 2: the state itself did not change.
            if (n.path("v").asInt() < 1 || n.path("v").asInt() > RecordEncoder.VERSION) {
                throw new SluiceException(
                        Reason.CONFIG,
                        "Kafka topic " + topic + " was published in format version "
                                + n.path("v").asInt()
                                + "; this Sluice writes version " + RecordEncoder.VERSION
                                + ". Publish to a new topic, or run the Sluice version that published it.");
            }
            // A state written before renames and columns without values were kept has neither.
            Map<TableId, TableId> tables = new HashMap<>();
            Map<TableId, Map<String, String>> columns = new HashMap<>();
            for (JsonNode e : n.path("renamed")) {
                TableId t = new TableId(e.path("s").asText(), e.path("t").asText());
                JsonNode rt = e.path("rt");
                if (rt.isArray() && rt.size() == 2) {
                    tables.put(t, new TableId(rt.get(0).asText(), rt.get(1).asText()));
                }
                Map<String, String> names = new HashMap<>();
                e.path("rc")
                        .properties()
                        .forEach(c -> names.put(c.getKey(), c.getValue().asText()));
                columns.put(t, names);
            }
            Set<ColumnRef> withoutValues = new HashSet<>();
            for (JsonNode e : n.path("without_values")) {
                TableId t = new TableId(e.path("s").asText(), e.path("t").asText());
                e.path("c").forEach(c -> withoutValues.add(new ColumnRef(t, c.asText())));
            }
            return Optional.of(new ProducerState(
                    Lsn.parse(n.path("end_lsn").asText()),
                    n.path("source").asText(),
                    Partitioning.parse(n.path("partitioning").asText()),
                    n.path("partitions").asInt(),
                    new RuleNames.Known(tables, columns),
                    withoutValues));
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Kafka topic " + topic + ": the producer state in group " + KafkaTopic.producerGroup(topic)
                            + " is not Sluice's: " + e.getMessage());
        }
    }
}
