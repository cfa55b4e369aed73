package dev.sluice.pipeline.kafka;

import dev.sluice.core.SluiceException.Reason;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What {@code sluice status} shows of a Kafka topic: what the producer published and, per
 * consumer group, how many records it has yet to apply (end offsets minus the group's committed
 * offsets; a partition without a committed offset counts from its earliest retained record).
 */
public final class KafkaStatus {

    private KafkaStatus() {}

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
            Optional<ProducerState> state =
                    topic.committed(KafkaTopic.producerGroup(settings.topic())).values().stream()
                            .findFirst()
                            .flatMap(om -> ProducerState.fromMetadata(settings.topic(), om.metadata()));
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
                long lag = 0;
                for (int p = 0; p < n; p++) {
                    OffsetAndMetadata om = committed.get(new TopicPartition(settings.topic(), p));
                    long from = om == null ? earliest.getOrDefault(p, 0L) : om.offset();
                    lag += Math.max(0, ends.getOrDefault(p, 0L) - from);
                }
                Map<String, Object> g = new LinkedHashMap<>();
                g.put("lag_records", lag);
                g.put("has_offsets", !committed.isEmpty());
                groups.put(name, g);
            }
            status.put("kafka_groups", groups);
        }
        return status;
    }
}
