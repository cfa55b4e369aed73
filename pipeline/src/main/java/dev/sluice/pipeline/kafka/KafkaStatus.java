package dev.sluice.pipeline.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException.Reason;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What {@code sluice status} shows of a Kafka topic: what the producer published and, per
 * consumer group, how many records it has yet to apply (end offsets minus the group's committed
 * offsets; a partition without a committed offset counts from its earliest retained record) and
 * how much source WAL that is: a consumer commits each offset with the end position of the last
 * source transaction that partition holds on its target, and the lag is the published position
 * minus the oldest of those among the partitions with records still to apply.
 */
public final class KafkaStatus {

    private static final String APPLIED = "applied_end_lsn";
    private static final ObjectMapper JSON = new ObjectMapper();

    private KafkaStatus() {}

    /** The offset metadata a consumer commits: where its target is, in the source's WAL. */
    public static String appliedMetadata(Lsn appliedEnd) {
        return JSON.createObjectNode().put(APPLIED, appliedEnd.toString()).toString();
    }

    /**
     * A group's lag.
     *
     * @param records Kafka records still to apply
     * @param bytes source WAL between the published position and the oldest applied one among the
     *     partitions with records still to apply (0 when none is behind); empty when a partition
     *     behind has no applied position yet, or nothing was published
     */
    record Lag(long records, Optional<Long> bytes) {}

    /**
     * The lag of a group with these committed offsets, given each partition's end and earliest
     * offsets and the producer's published position.
     */
    static Lag lag(
            int partitions,
            Map<Integer, Long> ends,
            Map<Integer, Long> earliest,
            Map<Integer, OffsetAndMetadata> committed,
            Optional<Lsn> published) {
        long records = 0;
        Optional<Lsn> oldest = published;
        for (int p = 0; p < partitions; p++) {
            OffsetAndMetadata om = committed.get(p);
            long from = om == null ? earliest.getOrDefault(p, 0L) : om.offset();
            long behind = Math.max(0, ends.getOrDefault(p, 0L) - from);
            records += behind;
            if (behind > 0 && oldest.isPresent()) {
                Optional<Lsn> at = applied(om);
                if (at.isEmpty()) {
                    oldest = Optional.empty();
                } else if (at.get().compareTo(oldest.get()) < 0) {
                    oldest = at;
                }
            }
        }
        return new Lag(records, oldest.flatMap(o -> published.map(pub -> pub.bytesSince(o))));
    }

    /** The applied position a consumer committed with the offset; empty for none, or metadata not Sluice's. */
    public static Optional<Lsn> applied(OffsetAndMetadata om) {
        if (om == null || om.metadata() == null || om.metadata().isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode applied = JSON.readTree(om.metadata()).get(APPLIED);
            return applied == null || !applied.isTextual()
                    ? Optional.empty()
                    : Optional.of(Lsn.parse(applied.asText()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Status fields, in the order they print; {@code group} set: only that group, else every group on the topic. */
    public static Map<String, Object> read(KafkaSettings settings, String group) {
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("kafka_topic", settings.topic());
        status.put("kafka_brokers", settings.bootstrap());
        try (KafkaTopic topic = new KafkaTopic(settings, Reason.SOURCE_UNREACHABLE)) {
            Optional<Integer> partitions = topic.describe();
            status.put("kafka_topic_exists", partitions.isPresent());
            if (partitions.isEmpty()) {
                return status;
            }
            int n = partitions.get();
            status.put("kafka_partitions", n);
            Optional<ProducerState> state = topic.producerState();
            status.put(
                    "kafka_published_lsn", state.map(s -> s.endLsn().toString()).orElse(null));
            status.put(
                    "kafka_partitioning",
                    state.map(s -> s.partitioning().text()).orElse(null));
            Map<Integer, Long> ends = topic.endOffsets(n);
            Map<Integer, Long> earliest = topic.earliestOffsets(n);
            Map<String, Object> groups = new LinkedHashMap<>();
            List<String> names = group.isEmpty() ? topic.consumerGroups() : List.of(group);
            for (String name : names) {
                Map<TopicPartition, OffsetAndMetadata> committed = topic.committed(name);
                Map<Integer, OffsetAndMetadata> byPartition = new HashMap<>();
                committed.forEach((tp, om) -> byPartition.put(tp.partition(), om));
                Lag lag = lag(n, ends, earliest, byPartition, state.map(ProducerState::endLsn));
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("lag_records", lag.records());
                g.put("lag_bytes", lag.bytes().orElse(null));
                g.put("has_offsets", !committed.isEmpty());
                groups.put(name, g);
            }
            status.put("kafka_groups", groups);
        }
        return status;
    }
}
