package dev.sluice.pipeline.kafka;

import dev.sluice.testing.TestKafka;
import java.util.List;
import java.util.Optional;

/** The settings of a plaintext client of the test broker, as the tests of single Kafka stages use them. */
public final class PlainKafka {

    private PlainKafka() {}

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
