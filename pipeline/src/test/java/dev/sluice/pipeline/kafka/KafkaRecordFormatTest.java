package dev.sluice.pipeline.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Delete;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.snapshot.SequenceSync.SequenceState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class KafkaRecordFormatTest {

    private static final Relation USERS = new Relation(
            16384,
            new TableId("public", "users"),
            Relation.ReplicaIdentity.DEFAULT,
            List.of(
                    new Relation.Column("id", 23, -1, true),
                    new Relation.Column("name", 1043, 44, false),
                    new Relation.Column("bio", 25, -1, false)));
    private static final Begin BEGIN =
            new Begin(731, Lsn.parse("0/16B3748"), Instant.parse("2026-11-21T05:40:01.123456Z"));

    private final RecordEncoder encoder = new RecordEncoder();
    private final RecordDecoder decoder = new RecordDecoder("changes", 2);

    @Test
    void transactionRoundTripsWithNullAndUnchangedToastKeptApart() {
        Tuple after = Tuple.wrap(new String[] {"7", null, Tuple.unchangedToastMarker()});
        Tuple key = Tuple.wrap(new String[] {"6", null, null});
        DdlCommand ddl = new DdlCommand(
                "ALTER TABLE",
                Optional.of("ALTER TABLE users ADD COLUMN age int"),
                "\"$user\", public",
                List.of(new DdlCommand.DdlObject("table", "public.users", Optional.of(USERS.table()), false)),
                List.of(new DdlCommand.TableDefinition(
                        USERS.table(),
                        List.of(new DdlCommand.ColumnDefinition("age", "integer", false, Optional.of("0"), "", "")),
                        List.of("id"))),
                Optional.of(new DdlCommand.ColumnRename(USERS.table(), "nick", "name")));
        DdlCommand tableRename = new DdlCommand(
                "ALTER TABLE",
                Optional.of("ALTER TABLE people RENAME TO users"),
                "public",
                List.of(),
                List.of(),
                Optional.of(new DdlCommand.TableRename(new TableId("public", "people"), USERS.table())));
        List<ChangeEvent> events = List.of(
                new Insert(USERS, Tuple.wrap(new String[] {"1", "ada", "x\ny\t\"z\" ü"})),
                new Update(USERS, key, after),
                new Update(USERS, null, after),
                new Delete(USERS, key),
                new Truncate(List.of(USERS), true, false),
                new SchemaChange(Lsn.parse("0/16B3700"), ddl),
                new SchemaChange(Lsn.parse("0/16B3710"), tableRename),
                new Commit(BEGIN.commitLsn(), Lsn.parse("0/16B3780"), BEGIN.commitTime()));

        StreamRecord start = decoder.decode(encoder.start(BEGIN, "sys 42 / shop", false), 10);
        assertThat(start).isEqualTo(new StreamRecord.Start(BEGIN, "sys 42 / shop", false));
        for (int i = 0; i < events.size(); i++) {
            byte[] bytes = encoder.change(BEGIN, events.get(i), i == 0);
            assertThat(decoder.decode(bytes, 11 + i)).isEqualTo(new StreamRecord.Change(events.get(i)));
        }
        Update decoded = (Update)
                ((StreamRecord.Change) decoder.decode(encoder.change(BEGIN, events.get(1), false), 20)).event();
        assertThat(decoded.after().isNull(1)).isTrue();
        assertThat(decoded.after().isUnchangedToast(1)).isFalse();
        assertThat(decoded.after().isUnchangedToast(2)).isTrue();
    }

    @Test
    void relationAnnouncedAgainUnchangedIsTheSameInstanceSoTheSinkKeepsItsPlan() {
        Insert row = new Insert(USERS, Tuple.wrap(new String[] {"1", "a", "b"}));
        decoder.decode(encoder.start(BEGIN, "s", false), 0);
        Insert first = (Insert) ((StreamRecord.Change) decoder.decode(encoder.change(BEGIN, row, true), 1)).event();
        Begin next = new Begin(732, Lsn.parse("0/16B4000"), BEGIN.commitTime());
        decoder.decode(encoder.start(next, "s", false), 2);
        Insert second = (Insert) ((StreamRecord.Change) decoder.decode(encoder.change(next, row, true), 3)).event();
        assertThat(second.relation()).isSameAs(first.relation());
    }

    @Test
    void rowRecordReadsTheSameWhateverTheOrderOfItsFields() {
        decoder.decode(encoder.start(BEGIN, "s", false), 0);
        decoder.decode(encoder.change(BEGIN, new Insert(USERS, Tuple.wrap(new String[] {"1", "a", "b"})), true), 1);
        String reordered = "{\"after\":[\"2\",null,null],\"after_unchanged\":[2],\"rel\":16384,"
                + "\"commit_lsn\":\"0/16B3748\",\"xid\":731,\"kind\":\"update\",\"v\":1}";
        Update update =
                (Update) ((StreamRecord.Change) decoder.decode(reordered.getBytes(StandardCharsets.UTF_8), 2)).event();
        assertThat(update.before()).isNull();
        assertThat(update.after().get(0)).isEqualTo("2");
        assertThat(update.after().isNull(1)).isTrue();
        assertThat(update.after().isUnchangedToast(2)).isTrue();
    }

    @Test
    void rowWithTheWrongNumberOfValuesNamesTheTable() {
        decoder.decode(encoder.start(BEGIN, "s", false), 0);
        byte[] row = encoder.change(BEGIN, new Insert(USERS, Tuple.wrap(new String[] {"1", "a"})), true);
        assertThatThrownBy(() -> decoder.decode(row, 7))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("offset 7")
                .hasMessageContaining("'after' holds 2 values, table public.users has 3 columns");
    }

    @Test
    void commitWithoutItsEndPositionIsRefusedNamingTheField() {
        decoder.decode(encoder.start(BEGIN, "s", false), 0);
        byte[] commit = ("{\"v\":2,\"kind\":\"commit\",\"xid\":731,\"commit_lsn\":\"0/16B3748\","
                        + "\"commit_time\":\"2026-11-21T08:00:00Z\"}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.decode(commit, 4))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("offset 4")
                .hasMessageContaining("no field 'end_lsn'");
    }

    @Test
    void barrierRoundTrips() {
        assertThat(decoder.decode(encoder.barrier(5, Lsn.parse("1/0")), 3))
                .isEqualTo(new StreamRecord.Barrier(5, Lsn.parse("1/0")));
    }

    @Test
    void sequencesRoundTripBetweenSlicesAndAreWhereAConsumerMayStart() {
        List<SequenceState> states = List.of(
                new SequenceState(new TableId("public", "orders_id_seq"), Long.MAX_VALUE, true),
                new SequenceState(new TableId("Shop", "Odd \"Name\""), -5, false));
        byte[] bytes = encoder.sequences(Lsn.parse("0/16B3780"), states);
        assertThat(new String(bytes, StandardCharsets.UTF_8))
                .startsWith("{\"v\":2,\"kind\":\"sequences\",\"xid\":0,\"commit_lsn\":\"0/16B3780\"")
                // A string: a JSON reader's number may not hold a bigint.
                .contains("\"last_value\":\"9223372036854775807\"");
        // A consumer that has seen no slice boundary yet may start at it, and reads it alone.
        assertThat(new RecordDecoder("changes", 2).read(bytes, 4))
                .containsExactly(new StreamRecord.Sequences(Lsn.parse("0/16B3780"), states));
        decoder.decode(encoder.start(BEGIN, "s", false), 5);
        decoder.decode(
                encoder.change(BEGIN, new Commit(BEGIN.commitLsn(), Lsn.parse("0/16B3780"), BEGIN.commitTime()), false),
                6);
        assertThat(decoder.decode(bytes, 7)).isEqualTo(new StreamRecord.Sequences(Lsn.parse("0/16B3780"), states));
    }

    @Test
    void sequenceWithoutIsCalledIsRefusedNamingTheSequence() {
        byte[] bad = ("{\"v\":1,\"kind\":\"sequences\",\"xid\":0,\"commit_lsn\":\"0/1\","
                        + "\"sequences\":[{\"schema\":\"public\",\"name\":\"s\",\"last_value\":\"3\"}]}")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.decode(bad, 8))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("offset 8")
                .hasMessageContaining("sequence public.s has no boolean 'is_called'");
    }

    @Test
    void unknownKindStopsTheConsumerSayingToUpgradeIt() {
        byte[] future =
                "{\"v\":1,\"kind\":\"comet\",\"xid\":0,\"commit_lsn\":\"0/1\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.decode(future, 12))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining(
                        "topic changes, partition 2, offset 12: record kind 'comet' is not one this" + " Sluice reads")
                .hasMessageContaining("Upgrade this consumer");
    }

    @Test
    void unknownVersionNamesTopicPartitionOffsetAndVersion() {
        byte[] future = "{\"v\":3,\"kind\":\"begin\"}".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> decoder.decode(future, 99))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("topic changes, partition 2, offset 99: format version 3")
                .hasMessageContaining("reads version 2 and older");
    }

    @Test
    void valuePackedWithSeveralRecordsReadsAsThoseRecordsInOrder() {
        Insert row = new Insert(USERS, Tuple.wrap(new String[] {"1", "line\nbreak", null}));
        Commit commit = new Commit(BEGIN.commitLsn(), Lsn.parse("0/16B3780"), BEGIN.commitTime());
        ValueBuffer value = new ValueBuffer();
        value.add(encoder.start(BEGIN, "s", false));
        value.add(encoder.change(BEGIN, row, true));
        value.add(encoder.change(BEGIN, commit, false));

        assertThat(decoder.read(value.take(), 5))
                .containsExactly(
                        new StreamRecord.Start(BEGIN, "s", false),
                        new StreamRecord.Change(row),
                        new StreamRecord.Change(commit));
        assertThat(value.isEmpty()).isTrue();
    }

    @Test
    void recordsBeforeTheFirstSliceBoundaryAreSkipped() {
        Begin next = new Begin(732, Lsn.parse("0/16B4000"), BEGIN.commitTime());
        Insert row = new Insert(USERS, Tuple.wrap(new String[] {"1", "a", "b"}));
        ValueBuffer value = new ValueBuffer();
        // The tail of a slice applied before a restart: its begin was in an earlier Kafka record.
        value.add(encoder.change(BEGIN, row, false));
        value.add(encoder.change(BEGIN, new Commit(BEGIN.commitLsn(), Lsn.parse("0/16B3780"), null), false));
        value.add(encoder.start(next, "s", false));
        value.add(encoder.change(next, row, true));

        assertThat(decoder.read(value.take(), 9))
                .containsExactly(new StreamRecord.Start(next, "s", false), new StreamRecord.Change(row));
    }

    @Test
    void resumingInsideABarrierSliceSkipsItsTailButHandsOverTheBarrier() {
        Begin next = new Begin(732, Lsn.parse("0/16B4000"), BEGIN.commitTime());
        Insert row = new Insert(USERS, Tuple.wrap(new String[] {"1", "a", "b"}));
        ValueBuffer value = new ValueBuffer();
        // On partition 0 a barrier stands inside its slice, whose begin was in an earlier Kafka record.
        value.add(encoder.change(BEGIN, row, false));
        value.add(encoder.barrier(BEGIN.xid(), BEGIN.commitLsn()));
        value.add(encoder.change(BEGIN, new Truncate(List.of(USERS), false, false), false));
        value.add(encoder.change(BEGIN, new Commit(BEGIN.commitLsn(), Lsn.parse("0/16B3780"), null), false));
        value.add(encoder.start(next, "s", false));
        value.add(encoder.change(next, row, true));

        assertThat(decoder.read(value.take(), 9))
                .containsExactly(
                        new StreamRecord.Barrier(BEGIN.xid(), BEGIN.commitLsn()),
                        new StreamRecord.Start(next, "s", false),
                        new StreamRecord.Change(row));
    }

    @Test
    void versionOneValuesHoldingOneRecordStillRead() {
        byte[] v1 =
                ("{\"v\":1,\"kind\":\"barrier\",\"xid\":5,\"commit_lsn\":\"1/0\"}").getBytes(StandardCharsets.UTF_8);
        assertThat(decoder.read(v1, 0)).containsExactly(new StreamRecord.Barrier(5, Lsn.parse("1/0")));
    }

    @Test
    void valueIsHandedOutOnceItReachesItsTargetSize() {
        ValueBuffer value = new ValueBuffer();
        byte[] record = new byte[1000];
        int added = 1;
        while (!value.add(record)) {
            added++;
        }
        assertThat(added).isEqualTo((ValueBuffer.TARGET_BYTES + 1000) / 1001);
        assertThat(value.take()).hasSize(added * 1001);
    }

    @Test
    void rowOfUnannouncedRelationIsRefused() {
        decoder.decode(encoder.start(BEGIN, "s", false), 0);
        byte[] row = encoder.change(BEGIN, new Insert(USERS, Tuple.wrap(new String[] {"1", "a", "b"})), false);
        assertThatThrownBy(() -> decoder.decode(row, 1)).hasMessageContaining("relation 16384 was not announced");
    }
}
