package dev.sluice.pipeline;

import dev.sluice.core.PgUrl;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.TestKafka;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.HashMap;
import java.util.Map;

/** The settings of in-process Kafka producers and consumers, as the Kafka tests run them. */
final class KafkaFlags {

    private KafkaFlags() {}

    /**
     * What a producer and its consumers share. Consumers flush after 50 ms rather than the default,
     * so that the tests' waits for a marker stay short.
     */
    static Map<Setting, String> common(TestKafka kafka, String topic) {
        return Map.of(
                Setting.KAFKA_BROKERS,
                kafka.bootstrap(),
                Setting.KAFKA_TOPIC,
                topic,
                Setting.METRICS_PORT,
                "0",
                Setting.SINK_GROUP_MAX_DELAY,
                "50ms");
    }

    /** A producer publishing the source to the topic; a copy the caller adds its settings to. */
    static Map<Setting, String> producer(Map<Setting, String> common, PgUrl source) {
        Map<Setting, String> flags = new HashMap<>(common);
        flags.put(Setting.SOURCE_URL, source.toUrlWithPassword());
        return flags;
    }

    /** A consumer applying the topic to the target as the group. */
    static Map<Setting, String> consumer(Map<Setting, String> common, PgUrl target, String group) {
        Map<Setting, String> flags = new HashMap<>(common);
        flags.put(Setting.TARGET_URL, target.toUrlWithPassword());
        flags.put(Setting.KAFKA_GROUP, group);
        return flags;
    }

    /**
     * A pipeline that knows the test transformers and the test key: the anonymizing tests build every
     * pipeline so, the consumers and the direct reference too, so all run under the same key.
     */
    static Pipeline anonymizing(Map<Setting, String> flags) {
        return new Pipeline(
                        ConfigLoader.load(null, Map.of(), flags),
                        new SimpleMeterRegistry(),
                        false,
                        TestTransformers.env(TestTransformers.KEY_HEX))
                .transformers(TestTransformers.registry());
    }
}
