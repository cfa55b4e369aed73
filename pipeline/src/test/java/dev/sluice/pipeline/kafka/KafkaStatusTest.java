package dev.sluice.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.pipeline.kafka.KafkaStatus.Lag;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.junit.jupiter.api.Test;

class KafkaStatusTest {

    private static final Optional<Lsn> PUBLISHED = Optional.of(Lsn.parse("0/5000"));

    private static OffsetAndMetadata at(long offset, String applied) {
        return new OffsetAndMetadata(offset, KafkaStatus.appliedMetadata(Lsn.parse(applied)));
    }

    @Test
    void groupBehindCountsSourceWalFromTheOldestPartitionStillBehind() {
        Lag lag = KafkaStatus.lag(
                3,
                Map.of(0, 10L, 1, 7L, 2, 4L),
                Map.of(),
                // Partition 2 applied the least, but holds everything: it is not behind.
                Map.of(0, at(8, "0/4000"), 1, at(6, "0/3000"), 2, at(4, "0/1000")),
                PUBLISHED);

        assertThat(lag).isEqualTo(new Lag(3, Optional.of(0x2000L)));
    }

    @Test
    void groupHoldingEverythingIsNoBytesBehind() {
        Lag lag = KafkaStatus.lag(1, Map.of(0, 9L), Map.of(), Map.of(0, at(9, "0/1000")), PUBLISHED);

        assertThat(lag).isEqualTo(new Lag(0, Optional.of(0L)));
    }

    @Test
    void partitionBehindWithoutAnAppliedPositionLeavesTheBytesUnknown() {
        Lag lag = KafkaStatus.lag(
                2,
                Map.of(0, 5L, 1, 5L),
                Map.of(1, 2L),
                // Partition 1 never committed (a new group); an offset committed by an older
                // Sluice carries no position.
                Map.of(0, new OffsetAndMetadata(3)),
                PUBLISHED);

        assertThat(lag).isEqualTo(new Lag(5, Optional.empty()));
    }

    @Test
    void nothingPublishedLeavesTheBytesUnknown() {
        Lag lag = KafkaStatus.lag(1, Map.of(0, 0L), Map.of(), Map.of(), Optional.empty());

        assertThat(lag).isEqualTo(new Lag(0, Optional.empty()));
    }
}
