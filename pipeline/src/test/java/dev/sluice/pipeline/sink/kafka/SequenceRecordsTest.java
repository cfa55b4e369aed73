package dev.sluice.pipeline.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import dev.sluice.snapshot.SequenceSync.SourceSequences;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** What the producer publishes of the source's sequences, when, and to which partition. */
class SequenceRecordsTest {

    private static final TableId ORDERS = new TableId("public", "orders");
    private static final TableId TICKETS = new TableId("public", "tickets");
    private static final TableId ORDERS_SEQ = new TableId("public", "orders_id_seq");
    private static final TableId TICKETS_SEQ = new TableId("public", "tickets_id_seq");
    private static final TableId STANDALONE = new TableId("public", "invoice_numbers");

    private final AtomicReference<SourceSequences> source = new AtomicReference<>();

    @Test
    void byTableEachSequenceGoesWithItsTablesPartitionAndAStandaloneOneToZero() {
        SequenceRecords records = new SequenceRecords(source::get, Duration.ZERO, Partitioning.TABLE, 3);
        source.set(read(5, 7, 9));
        Map<Integer, List<SequenceState>> sets = records.changed();
        int orders = Partitioning.partition(Partitioning.TABLE.key(ORDERS), 3);
        int tickets = Partitioning.partition(Partitioning.TABLE.key(TICKETS), 3);
        assertThat(orders).isNotEqualTo(tickets);
        assertThat(sets.get(orders)).extracting(SequenceState::sequence).contains(ORDERS_SEQ);
        assertThat(sets.get(tickets)).extracting(SequenceState::sequence).contains(TICKETS_SEQ);
        assertThat(sets.get(0)).extracting(SequenceState::sequence).contains(STANDALONE);
    }

    @Test
    void byKeyEverySequenceGoesToPartitionZero() {
        SequenceRecords records = new SequenceRecords(source::get, Duration.ZERO, Partitioning.KEY, 3);
        source.set(read(5, 7, 9));
        assertThat(records.changed()).containsOnlyKeys(0);
    }

    @Test
    void onlyAPartitionWithAChangedValueGoesOutAgainWhole() {
        SequenceRecords records = new SequenceRecords(source::get, Duration.ZERO, Partitioning.TABLE, 3);
        source.set(read(5, 7, 9));
        records.changed();
        records.published();
        assertThat(records.changed()).as("an idle source").isEmpty();

        source.set(read(6, 7, 9));
        int orders = Partitioning.partition(Partitioning.TABLE.key(ORDERS), 3);
        Map<Integer, List<SequenceState>> sets = records.changed();
        assertThat(sets).containsOnlyKeys(orders);
        records.published();
        assertThat(records.changed()).isEmpty();
    }

    @Test
    void valuesOfAnAbortedTransactionGoOutAgain() {
        SequenceRecords records = new SequenceRecords(source::get, Duration.ZERO, Partitioning.SCHEMA, 1);
        source.set(read(5, 7, 9));
        assertThat(records.changed()).isNotEmpty();
        // No published(): the Kafka transaction holding them did not commit.
        assertThat(records.changed()).containsOnlyKeys(0);
    }

    @Test
    void afterASchemaChangeEverySetGoesOutAgain() {
        SequenceRecords records = new SequenceRecords(source::get, Duration.ZERO, Partitioning.SCHEMA, 1);
        source.set(read(5, 7, 9));
        records.changed();
        records.published();
        records.schemaChanged();
        assertThat(records.changed().get(0)).hasSize(3);
    }

    @Test
    void aFailedReadPublishesNothingAndTheNextIntervalReadsAgain() {
        SequenceRecords records = new SequenceRecords(
                () -> {
                    throw new IllegalStateException("source gone");
                },
                Duration.ofHours(1),
                Partitioning.SCHEMA,
                1);
        assertThat(records.due()).isTrue();
        assertThat(records.changed()).isEmpty();
        assertThat(records.due()).isFalse();
    }

    private static SourceSequences read(long orders, long tickets, long standalone) {
        return new SourceSequences(
                List.of(
                        new SequenceState(STANDALONE, standalone, true),
                        new SequenceState(ORDERS_SEQ, orders, true),
                        new SequenceState(TICKETS_SEQ, tickets, true)),
                Map.of(ORDERS_SEQ, ORDERS, TICKETS_SEQ, TICKETS),
                List.of());
    }
}
