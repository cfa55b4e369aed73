package dev.sluice.pipeline.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.pipeline.kafka.ProducerState;
import dev.sluice.testing.TestKafka;
import dev.sluice.transform.rules.RuleNames;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Kafka drops a group's offsets {@code offsets.retention.minutes} after their last commit, and the
 * producer's state is such offsets: a producer whose stream stays idle must keep committing it.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaSinkStateRefreshTest {

    private static final String SOURCE = "sys 42 / shop";

    @Test
    void anIdleProducerCommitsItsStateAgainSoThatKafkaKeepsIt() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("state-refresh", 1);
        ProducerState state = new ProducerState(
                Lsn.parse("0/16B3748"), SOURCE, Partitioning.SCHEMA, 1, RuleNames.Known.NONE, Set.of());
        try (Admin admin = kafka.admin()) {
            admin.alterConsumerGroupOffsets(
                            KafkaTopic.producerGroup(topic),
                            Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(0, state.toMetadata())))
                    .all()
                    .get();
        }
        KafkaSink.Stats stats = new KafkaSink.Stats();
        KafkaSink sink = new KafkaSink(settings(kafka, topic), SOURCE, 1_000, Duration.ofMillis(200), stats)
                .refreshingStateEvery(Duration.ofMillis(300));
        try (sink) {
            assertThat(sink.start(end -> {})).isEqualTo(state.endLsn());
            // What Kafka does once offsets.retention.minutes passed without a commit.
            try (Admin admin = kafka.admin()) {
                admin.deleteConsumerGroups(List.of(KafkaTopic.producerGroup(topic)))
                        .all()
                        .get();
            }
            assertThat(KafkaSink.state(settings(kafka, topic))).isEmpty();

            idleUntil(sink, () -> stats.stateRefreshes.get() >= 2);
        }

        assertThat(KafkaSink.state(settings(kafka, topic)))
                .as("the state the idle producer committed again")
                .contains(state);
        assertThat(stats.kafkaCommits.get())
                .as("transactions of the stream: none, it stayed idle")
                .isZero();
    }

    @Test
    void aProducerThatPublishedNothingCommitsNoState() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("state-none", 1);
        KafkaSink.Stats stats = new KafkaSink.Stats();
        KafkaSink sink = new KafkaSink(settings(kafka, topic), SOURCE, 1_000, Duration.ofMillis(200), stats)
                .refreshingStateEvery(Duration.ofMillis(50));
        try (sink) {
            assertThat(sink.start(end -> {})).isEqualTo(Lsn.INVALID);
            long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < until) {
                sink.idle();
                Thread.sleep(20);
            }
        }

        assertThat(stats.stateRefreshes.get()).isZero();
        assertThat(KafkaSink.state(settings(kafka, topic))).isEmpty();
    }

    @Test
    void stateIsCommittedAgainFourTimesWithinTheBrokersRetentionAndAtLeastHourly() {
        assertThat(KafkaSink.stateRefresh(Optional.of(Duration.ofMinutes(10)))).isEqualTo(Duration.ofSeconds(150));
        assertThat(KafkaSink.stateRefresh(Optional.of(Duration.ofDays(7)))).isEqualTo(Duration.ofHours(1));
        assertThat(KafkaSink.stateRefresh(Optional.empty())).isEqualTo(Duration.ofHours(1));
    }

    private static void idleUntil(KafkaSink sink, java.util.function.BooleanSupplier done) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.getAsBoolean()) {
            assertThat(System.nanoTime()).as("refreshed within 30 s").isLessThan(until);
            sink.idle();
            Thread.sleep(20);
        }
    }

    private static KafkaSettings settings(TestKafka kafka, String topic) {
        return new KafkaSettings(
                List.of(kafka.bootstrap()),
                topic,
                Partitioning.SCHEMA,
                false,
                1,
                "lz4",
                "PLAINTEXT",
                "PLAIN",
                "",
                "",
                Optional.empty(),
                "");
    }
}
