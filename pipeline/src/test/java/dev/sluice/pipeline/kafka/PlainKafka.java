package dev.sluice.pipeline.kafka;

import dev.sluice.testing.TestKafka;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** The settings of a plaintext client of the test broker, as the tests of single Kafka stages use them. */
public final class PlainKafka {

    private PlainKafka() {}

    /** Commits {@code state} as the topic's producer state, as a producer does with its first records. */
    public static void commitProducerState(TestKafka kafka, String topic, ProducerState state) throws Exception {
        try (Admin admin = kafka.admin()) {
            admin.alterConsumerGroupOffsets(
                            KafkaTopic.producerGroup(topic),
                            Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0, state.toMetadata())))
                    .all()
                    .get();
        }
    }

    /** Partitioned by schema, topic not created, lz4, no SASL or TLS. */
    public static KafkaSettings settings(TestKafka kafka, String topic, int partitions) {
        return new KafkaSettings(
                List.of(kafka.bootstrap()),
                topic,
                Partitioning.SCHEMA,
                false,
                partitions,
                "lz4",
                "PLAINTEXT",
                "PLAIN",
                "",
                "",
                Optional.empty(),
                "");
    }
}
