package dev.sluice.pipeline.sink.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.pipeline.kafka.KafkaSettings;
import dev.sluice.pipeline.kafka.KafkaTopic;
import dev.sluice.pipeline.kafka.Partitioning;
import dev.sluice.pipeline.kafka.PlainKafka;
import dev.sluice.pipeline.kafka.ProducerState;
import dev.sluice.testing.TestKafka;
import dev.sluice.transform.rules.RuleNames;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The producer's sink against a real broker: the state it keeps in Kafka, which Kafka drops {@code
 * offsets.retention.minutes} after its last commit, and the timeout of its Kafka transactions.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KafkaSinkTest {

    private static final String SOURCE = "sys 42 / shop";

    private static final Relation USERS = new Relation(
            16384,
            new TableId("public", "users"),
            Relation.ReplicaIdentity.DEFAULT,
            List.of(
                    new Relation.Column("id", 23, -1, true),
                    new Relation.Column("name", 1043, 44, false),
                    new Relation.Column("bio", 25, -1, false)));

    @Test
    void anIdleProducerCommitsItsStateAgainSoThatKafkaKeepsIt() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("state-refresh", 1);
        ProducerState state = new ProducerState(
                Lsn.parse("0/16B3748"), SOURCE, Partitioning.SCHEMA, 1, RuleNames.Known.NONE, Set.of());
        PlainKafka.commitProducerState(kafka, topic, state);
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
    void aSourceTransactionOpenPastTheTransactionTimeoutFailsNamingTheSettingsToRaise() throws Exception {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("txn-timeout", 1);
        // A Kafka transaction per source transaction: the commit comes with the source's.
        KafkaSink sink = new KafkaSink(settings(kafka, topic), SOURCE, 1, Duration.ofMinutes(1), new KafkaSink.Stats())
                .withTransactionTimeout(Duration.ofSeconds(1));
        try (sink) {
            sink.start(end -> {});
            Begin begin = new Begin(731, Lsn.parse("0/16B3748"), Instant.parse("2026-11-21T05:40:01Z"));
            sink.accept(begin);
            // More than a Kafka record holds, so that the brokers see the transaction begin.
            insert(sink, 0, 300);
            // The brokers abort a transaction past its timeout at their next check, every 2 s here.
            Thread.sleep(5_000);

            assertThatThrownBy(() -> {
                        insert(sink, 300, 600);
                        sink.accept(new Commit(begin.commitLsn(), Lsn.parse("0/16B3780"), begin.commitTime()));
                    })
                    .isInstanceOfSatisfying(
                            SluiceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.APPLY))
                    .hasMessageContaining("longer than kafka.transaction_timeout (1000 ms), so the brokers aborted it")
                    .hasMessageContaining("a source transaction took longer than that to publish")
                    .hasMessageContaining("transaction.max.timeout.ms");
        }
        assertThat(KafkaSink.state(settings(kafka, topic)))
                .as("nothing published")
                .isEmpty();
    }

    @Test
    void aTransactionTimeoutAboveWhatTheBrokersAllowIsRefusedAtStart() {
        TestKafka kafka = TestKafka.broker();
        String topic = kafka.createTopic("txn-timeout-high", 1);
        KafkaSink sink = new KafkaSink(
                        settings(kafka, topic), SOURCE, 1_000, Duration.ofMillis(200), new KafkaSink.Stats())
                .withTransactionTimeout(Duration.ofHours(2));

        assertThatThrownBy(() -> sink.start(end -> {}))
                .isInstanceOfSatisfying(
                        SluiceException.class, e -> assertThat(e.reason()).isEqualTo(Reason.CONFIG))
                .hasMessageContaining("kafka.transaction_timeout (7200000 ms) is more than the brokers of")
                .hasMessageContaining("(their transaction.max.timeout.ms is 900000 ms)");
    }

    private static void insert(KafkaSink sink, int from, int to) {
        String bio = "x".repeat(1_000);
        for (int id = from; id < to; id++) {
            sink.accept(new Insert(USERS, Tuple.wrap(new String[] {String.valueOf(id), "n" + id, bio})));
        }
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
        return PlainKafka.settings(kafka, topic, 1);
    }
}
