package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.util.Optional;

/**
 * What the topic holds of the source, as the producer recorded it in the same Kafka transaction as
 * the records: kept as the offset metadata of group {@link KafkaTopic#producerGroup}, which Kafka
 * commits atomically with the transaction's records. So after any crash the state and the topic
 * agree, and the producer resumes exactly after the last source transaction the topic holds.
 *
 * @param endLsn end position of the last source transaction published (the snapshot's position
 *     right after the initial copy)
 * @param source the source database's identity
 */
public record ProducerState(Lsn endLsn, String source, Partitioning partitioning, int partitions) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public String toMetadata() {
        ObjectNode n = JSON.createObjectNode();
        n.put("v", RecordEncoder.VERSION);
        n.put("end_lsn", endLsn.toString());
        n.put("source", source);
        n.put("partitioning", partitioning.text());
        n.put("partitions", partitions);
        return n.toString();
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
            return Optional.of(new ProducerState(
                    Lsn.parse(n.path("end_lsn").asText()),
                    n.path("source").asText(),
                    Partitioning.parse(n.path("partitioning").asText()),
                    n.path("partitions").asInt()));
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Kafka topic " + topic + ": the producer state in group " + KafkaTopic.producerGroup(topic)
                            + " is not Sluice's: " + e.getMessage());
        }
    }
}
