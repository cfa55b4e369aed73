package dev.sluice.pipeline.source.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.core.spi.Sink;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.pipeline.kafka.PlainKafka;
import dev.sluice.pipeline.kafka.ProducerState;
import dev.sluice.testing.TestKafka;
import dev.sluice.transform.rules.RuleNames;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The consumer against a real broker, with sinks that stand in for the target. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaSourceTest {

    @Test
    void aPartitionWhoseSinkCannotOpenLeavesNoOtherPartitionsConnectionOpen() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("open-fails", 2);
        publishedBefore(kafka, topic);
        AtomicBoolean firstClosed = new AtomicBoolean();
        KafkaSource source = new KafkaSource(
                settings(kafka, topic),
                "staging",
                (partition, sourceId) -> {
                    if (partition == 1) {
                        // As a target at max_connections answers the second connection.
                        throw new SluiceException(
                                Reason.TARGET_UNREACHABLE, "too many connections for the target's partition 1");
                    }
                    return new ClosingSink(firstClosed);
                },
                values -> {},
                new KafkaSource.Stats());

        assertThatThrownBy(source::run).hasMessageContaining("too many connections");
        assertThat(firstClosed)
                .as("partition 0's sink, opened before partition 1 failed, is closed")
                .isTrue();
    }

    /** The producer's state, as a producer commits it with its first records. */
    private static void publishedBefore(TestKafka kafka, String topic) throws Exception {
        PlainKafka.commitProducerState(
                kafka,
                topic,
                new ProducerState(
                        Lsn.parse("0/16B3748"),
                        "sys 42 / shop",
                        Partitioning.SCHEMA,
                        2,
                        RuleNames.Known.NONE,
                        Set.of()));
    }

    private static KafkaSettings settings(TestKafka kafka, String topic) {
        return PlainKafka.settings(kafka, topic, 2);
    }

    private static final class ClosingSink implements Sink {

        private final AtomicBoolean closed;

        ClosingSink(AtomicBoolean closed) {
            this.closed = closed;
        }

        @Override
        public Lsn start(Checkpoint checkpoint) {
            return Lsn.INVALID;
        }

        @Override
        public void accept(ChangeEvent event) {}

        @Override
        public void close() {
            closed.set(true);
        }
    }
}
