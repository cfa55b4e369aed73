package dev.sluice.pipeline.source.postgres;

import static dev.sluice.pipeline.source.postgres.PgOutputWriter.INT4;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.TEXT;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.UNCHANGED;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.VARCHAR;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.begin;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.commit;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.delete;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.insert;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.logicalMessage;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.message;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.origin;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.relation;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.truncate;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.type;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.update;
import static dev.sluice.pipeline.source.postgres.PgOutputWriter.updateWithOld;
import static java.nio.charset.StandardCharsets.UTF_8;
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
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.Truncate;
import dev.sluice.core.event.ChangeEvent.Update;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.pipeline.source.postgres.PgOutputWriter.Col;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PgOutputDecoderTest {

    private static final int USERS = 16_384;
    private static final int ORDERS = 16_390;
    private static final Instant COMMIT_TIME = Instant.parse("2025-03-14T15:09:26.535897Z");

    private final PgOutputDecoder decoder = new PgOutputDecoder();

    /** users(id int4 key, name text, email varchar(255)) under REPLICA IDENTITY DEFAULT. */
    private void announceUsers() {
        assertThat(decoder.decode(relation(
                        USERS,
                        "public",
                        "users",
                        'd',
                        Col.key("id", INT4),
                        Col.of("name", TEXT),
                        new Col("email", VARCHAR, 259, false))))
                .isNull();
    }

    /** orders(id int4, note text) under REPLICA IDENTITY FULL: pgoutput flags every column as key. */
    private void announceOrders() {
        decoder.decode(relation(ORDERS, "shop", "orders", 'f', Col.key("id", INT4), Col.key("note", TEXT)));
    }

    private <T extends ChangeEvent> T decode(Class<T> type, ByteBuffer message) {
        ChangeEvent event = decoder.decode(message);
        assertThat(event).isInstanceOf(type);
        return type.cast(event);
    }

    private static Tuple tuple(String... values) {
        return Tuple.wrap(values);
    }

    // --- transaction framing ---

    @Test
    void beginCarriesCommitLsnCommitTimeAndUnsignedXid() {
        Begin event = decode(Begin.class, begin(0x16_B374D848L, COMMIT_TIME, 0xFFFF_FFF0));

        assertThat(event.commitLsn()).isEqualTo(Lsn.parse("16/B374D848"));
        assertThat(event.commitTime()).isEqualTo(COMMIT_TIME);
        assertThat(event.xid()).isEqualTo(4_294_967_280L);
    }

    @Test
    void commitCarriesCommitAndEndLsn() {
        Commit event = decode(Commit.class, commit(0x1_0000_0010L, 0x1_0000_0040L, COMMIT_TIME));

        assertThat(event.commitLsn()).isEqualTo(Lsn.parse("1/10"));
        assertThat(event.endLsn()).isEqualTo(Lsn.parse("1/40"));
        assertThat(event.commitTime()).isEqualTo(COMMIT_TIME);
    }

    @Test
    void commitTimeBeforeThePostgresEpochIsNegativeMicros() {
        Instant before2000 = Instant.parse("1999-12-31T23:59:59.999999Z");

        assertThat(decode(Commit.class, commit(1, 2, before2000)).commitTime()).isEqualTo(before2000);
    }

    @Test
    void originIsConsumedWithoutAnEvent() {
        ByteBuffer message = origin(0x42L, "pg_16395");

        assertThat(decoder.decode(message)).isNull();
        assertThat(message.hasRemaining()).isFalse();
    }

    // --- relations and types ---

    @Test
    void relationIsCachedByOidWithKeyFlagsTypesAndModifiers() {
        announceUsers();

        Relation users = decoder.relation(USERS);
        assertThat(users.oid()).isEqualTo(USERS);
        assertThat(users.table()).isEqualTo(new TableId("public", "users"));
        assertThat(users.replicaIdentity()).isEqualTo(ReplicaIdentity.DEFAULT);
        assertThat(users.columns())
                .containsExactly(
                        new Relation.Column("id", INT4, -1, true),
                        new Relation.Column("name", TEXT, -1, false),
                        new Relation.Column("email", VARCHAR, 259, false));
        assertThat(decoder.relation(ORDERS)).isNull();
    }

    @Test
    void relationWithEmptyNamespaceIsInPgCatalog() {
        decoder.decode(relation(1259, "", "pg_class", 'n', Col.of("relname", 19)));

        assertThat(decoder.relation(1259).table()).isEqualTo(new TableId("pg_catalog", "pg_class"));
        assertThat(decoder.relation(1259).replicaIdentity()).isEqualTo(ReplicaIdentity.NOTHING);
    }

    @Test
    void relationNamesMayHoldAnyUnicode() {
        decoder.decode(relation(7, "schéma", "表 \"quoted\"", 'i', Col.key("ключ", INT4)));

        Relation relation = decoder.relation(7);
        assertThat(relation.table()).isEqualTo(new TableId("schéma", "表 \"quoted\""));
        assertThat(relation.replicaIdentity()).isEqualTo(ReplicaIdentity.INDEX);
        assertThat(relation.column(0).name()).isEqualTo("ключ");
    }

    @Test
    void relationReannouncedWithNewShapeAppliesToLaterRows() {
        announceUsers();
        decode(Insert.class, insert(USERS, "1", "ann", "ann@example.com"));

        decoder.decode(relation(USERS, "public", "users", 'd', Col.key("id", INT4), Col.of("name", TEXT)));
        Insert after = decode(Insert.class, insert(USERS, "2", "bob"));

        assertThat(after.relation().columnCount()).isEqualTo(2);
        assertThat(after.after()).isEqualTo(tuple("2", "bob"));
        assertThat(decoder.relation(USERS).columns())
                .extracting(Relation.Column::name)
                .containsExactly("id", "name");
        assertThatThrownBy(() -> decoder.decode(insert(USERS, "3", "cy", "cy@example.com")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("new tuple has 3 columns")
                .hasMessageContaining("public.users (oid 16384) was announced with 2");
    }

    @Test
    void rowsOfInterleavedRelationsKeepTheirOwnShapes() {
        announceUsers();
        announceOrders();

        Insert user = decode(Insert.class, insert(USERS, "1", "ann", null));
        Insert order = decode(Insert.class, insert(ORDERS, "10", "first"));
        Insert user2 = decode(Insert.class, insert(USERS, "2", "bob", null));

        assertThat(user.relation().table().name()).isEqualTo("users");
        assertThat(order.relation().table()).isEqualTo(new TableId("shop", "orders"));
        assertThat(user2.relation()).isSameAs(user.relation());
    }

    @Test
    void typeIsCachedAsQualifiedName() {
        assertThat(decoder.decode(type(16_400, "public", "mood"))).isNull();
        decoder.decode(type(16_401, "", "int4"));

        assertThat(decoder.typeName(16_400)).isEqualTo("public.mood");
        assertThat(decoder.typeName(16_401)).isEqualTo("pg_catalog.int4");
        assertThat(decoder.typeName(25)).isNull();
    }

    // --- rows ---

    @Test
    void insertDistinguishesNullFromEmptyString() {
        announceUsers();

        Insert event = decode(Insert.class, insert(USERS, "1", "", null));

        assertThat(event.relation()).isSameAs(decoder.relation(USERS));
        Tuple row = event.after();
        assertThat(row.size()).isEqualTo(3);
        assertThat(row.get(0)).isEqualTo("1");
        assertThat(row.isNull(1)).isFalse();
        assertThat(row.get(1)).isEmpty();
        assertThat(row.isNull(2)).isTrue();
        assertThat(row.get(2)).isNull();
    }

    @Test
    void insertDecodesMultiByteUnicodeExactly() {
        announceUsers();
        String emoji = "👩‍💻 ok 🎉";
        String cjk = "東京都渋谷区 — 한국어 — 中文";

        Insert event = decode(Insert.class, insert(USERS, "1", emoji, cjk));

        assertThat(event.after()).isEqualTo(tuple("1", emoji, cjk));
    }

    @Test
    void insertKeepsTextOfAnyTypeVerbatim() {
        announceUsers();
        String array = "{\"a,b\",NULL,\"c\\\\d\"}";
        String multiline = "line one\nline two\r\n\ttabbed";

        assertThat(decode(Insert.class, insert(USERS, "-0", array, multiline)).after())
                .isEqualTo(tuple("-0", array, multiline));
    }

    @Test
    void updateWithoutOldImageHasNullBefore() {
        announceUsers();

        Update event = decode(Update.class, update(USERS, "1", "ann", "new@example.com"));

        assertThat(event.before()).isNull();
        assertThat(event.after()).isEqualTo(tuple("1", "ann", "new@example.com"));
    }

    @Test
    void keyChangingUpdateCarriesOldKeyWithOtherColumnsNull() {
        announceUsers();

        Update event =
                decode(Update.class, updateWithOld(USERS, 'K', new Object[] {"1", null, null}, "2", "ann", null));

        assertThat(event.before()).isEqualTo(tuple("1", null, null));
        assertThat(event.after()).isEqualTo(tuple("2", "ann", null));
    }

    @Test
    void replicaIdentityFullUpdateCarriesWholeOldRow() {
        announceOrders();

        Update event = decode(Update.class, updateWithOld(ORDERS, 'O', new Object[] {"10", "old"}, "10", "new"));

        assertThat(event.relation().replicaIdentity()).isEqualTo(ReplicaIdentity.FULL);
        assertThat(event.before()).isEqualTo(tuple("10", "old"));
        assertThat(event.after()).isEqualTo(tuple("10", "new"));
    }

    @Test
    void updateWithUnchangedToastColumnMarksItUnchanged() {
        announceUsers();

        Update event = decode(Update.class, update(USERS, "1", UNCHANGED, "x@example.com"));

        Tuple after = event.after();
        assertThat(after.hasUnchangedToast()).isTrue();
        assertThat(after.isUnchangedToast(1)).isTrue();
        assertThat(after.isNull(1)).isFalse();
        assertThat(after.isUnchangedToast(2)).isFalse();
        assertThat(after.get(2)).isEqualTo("x@example.com");
        assertThatThrownBy(() -> after.get(1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void deleteCarriesOldKey() {
        announceUsers();

        Delete event = decode(Delete.class, delete(USERS, 'K', "1", null, null));

        assertThat(event.relation()).isSameAs(decoder.relation(USERS));
        assertThat(event.before()).isEqualTo(tuple("1", null, null));
    }

    @Test
    void replicaIdentityFullDeleteCarriesWholeOldRow() {
        announceOrders();

        Delete event = decode(Delete.class, delete(ORDERS, 'O', "10", "gone"));

        assertThat(event.before()).isEqualTo(tuple("10", "gone"));
    }

    // --- truncate and logical messages ---

    @ParameterizedTest
    @CsvSource({"0, false, false", "1, true, false", "2, false, true", "3, true, true"})
    void truncateResolvesRelationsAndOptions(int options, boolean cascade, boolean restartIdentity) {
        announceUsers();
        announceOrders();

        Truncate event = decode(Truncate.class, truncate(options, ORDERS, USERS));

        assertThat(event.relations()).extracting(Relation::oid).containsExactly(ORDERS, USERS);
        assertThat(event.cascade()).isEqualTo(cascade);
        assertThat(event.restartIdentity()).isEqualTo(restartIdentity);
    }

    @Test
    void transactionalMessageCarriesPrefixLsnAndRawContent() {
        byte[] content = "{\"ddl\":\"ALTER TABLE users ADD COLUMN é text\"}".getBytes(UTF_8);

        Message event = decode(Message.class, logicalMessage(true, 0x2_0000_0100L, "sluice.ddl", content));

        assertThat(event.transactional()).isTrue();
        assertThat(event.lsn()).isEqualTo(Lsn.parse("2/100"));
        assertThat(event.prefix()).isEqualTo("sluice.ddl");
        assertThat(event.content()).isEqualTo(content);
    }

    @Test
    void nonTransactionalMessageMayCarryAnyBytes() {
        byte[] content = {0, (byte) 0xff, 'x', 0};

        Message event = decode(Message.class, logicalMessage(false, 5, "", content));

        assertThat(event.transactional()).isFalse();
        assertThat(event.prefix()).isEmpty();
        assertThat(event.content()).containsExactly(0, 0xff, 'x', 0);
    }

    // --- buffers ---

    @Test
    void decodesFromTheBuffersPositionToItsLimitAndConsumesIt() {
        announceUsers();
        byte[] bytes = insert(USERS, "1", "ann", null).array();
        byte[] padded = new byte[bytes.length + 10];
        System.arraycopy(bytes, 0, padded, 3, bytes.length);
        ByteBuffer wrapped = ByteBuffer.wrap(padded, 3, bytes.length);
        ByteBuffer sliced = ByteBuffer.wrap(padded).position(3).slice().limit(bytes.length);

        for (ByteBuffer buffer : List.of(wrapped, sliced)) {
            assertThat(decode(Insert.class, buffer).after()).isEqualTo(tuple("1", "ann", null));
            assertThat(buffer.position()).isEqualTo(buffer.limit());
        }
    }

    @Test
    void decodesDirectAndReadOnlyBuffers() {
        announceUsers();
        byte[] bytes = insert(USERS, "1", "日本", "x").array();
        ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
        ByteBuffer readOnly = ByteBuffer.wrap(bytes).asReadOnlyBuffer();

        assertThat(decode(Insert.class, direct).after()).isEqualTo(tuple("1", "日本", "x"));
        assertThat(decode(Insert.class, readOnly).after()).isEqualTo(tuple("1", "日本", "x"));
        assertThat(direct.hasRemaining()).isFalse();
        assertThat(readOnly.hasRemaining()).isFalse();
    }

    @Test
    void eventsDoNotShareTheCallersArray() {
        announceUsers();
        ByteBuffer buffer = insert(USERS, "1", "ann", null);

        Insert event = decode(Insert.class, buffer);
        Arrays.fill(buffer.array(), (byte) 'z');

        assertThat(event.after()).isEqualTo(tuple("1", "ann", null));
    }

    // --- errors ---

    @Test
    void rowForUnknownRelationNamesTypeOidAndOffset() {
        assertThatThrownBy(() -> decoder.decode(insert(99_999, "1")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("pgoutput Insert message 'I' (0x49)")
                .hasMessageContaining("at byte 1:")
                .hasMessageContaining("relation oid 99999 was never announced");
        assertThatThrownBy(() -> decoder.decode(truncate(0, (int) 4_000_000_000L)))
                .hasMessageContaining("Truncate message 'T'")
                .hasMessageContaining("at byte 6:")
                .hasMessageContaining("relation oid 4000000000");
    }

    @Test
    void unknownMessageTypeIsNamed() {
        assertThatThrownBy(() -> decoder.decode(message('Z').int32(1).toBuffer()))
                .isInstanceOf(SluiceException.class)
                .hasMessage("pgoutput message of unknown type 'Z' (0x5a), 5 bytes, at byte 0: unknown message type");
        assertThatThrownBy(() -> decoder.decode(message((char) 0x01).toBuffer()))
                .hasMessageContaining("unknown type 0x01");
    }

    @Test
    void emptyMessageIsReported() {
        assertThatThrownBy(() -> decoder.decode(ByteBuffer.allocate(0)))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("empty message, 0 bytes, at byte 0")
                .hasMessageContaining("the message type");
    }

    @Test
    void streamingMessagesAreRejectedAsNotRequested() {
        ByteBuffer streamStart = message('S').int32(777).int8(1).toBuffer();

        assertThatThrownBy(() -> decoder.decode(streamStart))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("Stream Start message 'S'")
                .hasMessageContaining("streaming of in-progress transactions")
                .hasMessageContaining("proto_version '1'");
        assertThatThrownBy(() -> decoder.decode(message('c').toBuffer())).hasMessageContaining("Stream Commit");
    }

    @Test
    void twoPhaseMessagesAreRejectedAsNotRequested() {
        assertThatThrownBy(() -> decoder.decode(message('P').toBuffer()))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("Prepare message 'P'")
                .hasMessageContaining("two_phase");
    }

    @Test
    void binaryValueIsRejectedNamingTheColumn() {
        announceUsers();
        ByteBuffer binary = message('I')
                .int32(USERS)
                .int8('N')
                .int16(3)
                .int8('b')
                .int32(4)
                .int32(1)
                .int8('n')
                .int8('n')
                .toBuffer();

        assertThatThrownBy(() -> decoder.decode(binary))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("at byte 8:")
                .hasMessageContaining("column 0 (id) of the new tuple is in binary format");
    }

    @Test
    void unknownValueKindIsNamed() {
        announceUsers();
        ByteBuffer bad =
                message('I').int32(USERS).int8('N').int16(3).int8('n').int8('x').toBuffer();

        assertThatThrownBy(() -> decoder.decode(bad))
                .hasMessageContaining("at byte 9:")
                .hasMessageContaining("column 1 (name) of the new tuple has unknown value kind 'x' (0x78)");
    }

    @Test
    void unexpectedTupleKindsAreNamed() {
        announceUsers();

        assertThatThrownBy(() -> decoder.decode(message('I')
                        .int32(USERS)
                        .int8('K')
                        .tuple("1", null, null)
                        .toBuffer()))
                .hasMessageContaining("at byte 5: expected tuple kind 'N' (new tuple) but found 'K' (0x4b)");
        assertThatThrownBy(() -> decoder.decode(message('U')
                        .int32(USERS)
                        .int8('X')
                        .tuple("1", null, null)
                        .toBuffer()))
                .hasMessageContaining("expected tuple kind 'K', 'O' or 'N' but found 'X'");
        assertThatThrownBy(() -> decoder.decode(message('U')
                        .int32(USERS)
                        .int8('K')
                        .tuple("1", null, null)
                        .int8('O')
                        .toBuffer()))
                .hasMessageContaining("at byte 16: expected tuple kind 'K', 'O' or 'N' but found 'O'");
        assertThatThrownBy(() -> decoder.decode(message('D')
                        .int32(USERS)
                        .int8('N')
                        .tuple("1", null, null)
                        .toBuffer()))
                .hasMessageContaining("expected tuple kind 'K' or 'O' but found 'N'");
    }

    @Test
    void unknownReplicaIdentityIsNamed() {
        assertThatThrownBy(() -> decoder.decode(relation(5, "public", "t", 'q')))
                .hasMessageContaining("Relation message 'R'")
                .hasMessageContaining("unknown replica identity 'q' (0x71) for relation oid 5");
        assertThat(decoder.relation(5)).isNull();
    }

    @Test
    void textLengthBeyondTheMessageIsCaughtEvenWhenTheArrayGoesOn() {
        announceUsers();
        byte[] bytes = message('I')
                .int32(USERS)
                .int8('N')
                .int16(3)
                .int8('t')
                .int32(8)
                .bytes("1234".getBytes(UTF_8))
                .toBytes();
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 100);
        ByteBuffer buffer = ByteBuffer.wrap(longer, 0, bytes.length);

        assertThatThrownBy(() -> decoder.decode(buffer))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("Insert message 'I' (0x49), 17 bytes, at byte 9:")
                .hasMessageContaining("column 0 (id) of the new tuple claims 8 bytes but 4 follow");
        assertThat(buffer.position()).isZero();
    }

    @Test
    void truncatedMessageNamesWhatIsMissing() {
        ByteBuffer shortBegin = message('B').int64(1).int32(0).toBuffer();

        assertThatThrownBy(() -> decoder.decode(shortBegin))
                .isInstanceOf(SluiceException.class)
                .hasMessage("pgoutput Begin message 'B' (0x42), 13 bytes, at byte 9:"
                        + " the message ends before the commit timestamp (8 bytes needed, 4 left)");
    }

    @Test
    void unterminatedStringIsReported() {
        ByteBuffer noNul = message('Y').int32(1).bytes("public".getBytes(UTF_8)).toBuffer();

        assertThatThrownBy(() -> decoder.decode(noNul))
                .hasMessageContaining("at byte 5: the message ends inside the namespace (no terminating NUL byte)");
    }

    @Test
    void trailingBytesAreRejected() {
        ByteBuffer longCommit =
                message('C').int8(0).int64(1).int64(2).int64(3).int32(0).toBuffer();

        assertThatThrownBy(() -> decoder.decode(longCommit))
                .hasMessageContaining("Commit message 'C'")
                .hasMessageContaining("at byte 26: 4 unexpected bytes after the end of the message");
    }

    @Test
    void everyTruncationOfAValidMessageFailsWithAnOffsetInsteadOfAnIndexError() {
        announceUsers();
        announceOrders();
        List<ByteBuffer> valid = List.of(
                begin(1, COMMIT_TIME, 2),
                commit(1, 2, COMMIT_TIME),
                origin(1, "origin"),
                relation(USERS, "public", "users", 'd', Col.key("id", INT4), Col.of("name", TEXT), Col.of("e", TEXT)),
                type(16_400, "public", "mood"),
                insert(USERS, "1", "ünï", null),
                update(USERS, "1", UNCHANGED, ""),
                updateWithOld(ORDERS, 'O', new Object[] {"1", "a"}, "1", "b"),
                delete(ORDERS, 'O', "1", "b"),
                truncate(3, USERS, ORDERS),
                logicalMessage(true, 7, "sluice.ddl", "{}".getBytes(UTF_8)));

        for (ByteBuffer message : valid) {
            byte[] bytes = message.array();
            for (int length = 0; length < bytes.length; length++) {
                ByteBuffer prefix = ByteBuffer.wrap(Arrays.copyOf(bytes, length));
                int shown = length;
                assertThatThrownBy(() -> decoder.decode(prefix))
                        .as("first %d of %d bytes of '%c'", shown, bytes.length, (char) bytes[0])
                        .isInstanceOf(SluiceException.class)
                        .hasMessageContaining(", " + length + " bytes, at byte ");
            }
            decoder.decode(ByteBuffer.wrap(bytes));
        }
    }

    @Test
    void randomRowsRoundTrip() {
        Random random = new Random(20_250_314L);
        for (int round = 0; round < 200; round++) {
            int columns = 1 + random.nextInt(12);
            Col[] cols = new Col[columns];
            for (int c = 0; c < columns; c++) {
                cols[c] = new Col("c" + c, TEXT, -1, c == 0);
            }
            decoder.decode(relation(USERS, "public", "random", 'd', cols));
            Object[] values = new Object[columns];
            List<String> expected = new ArrayList<>();
            for (int c = 0; c < columns; c++) {
                int pick = random.nextInt(10);
                Object value = pick == 0 ? null : pick == 1 ? UNCHANGED : randomText(random);
                values[c] = value;
                expected.add(value == UNCHANGED ? Tuple.unchangedToastMarker() : (String) value);
            }

            Update event = decode(Update.class, update(USERS, values));

            Tuple after = event.after();
            assertThat(after.size()).isEqualTo(columns);
            for (int c = 0; c < columns; c++) {
                if (values[c] == UNCHANGED) {
                    assertThat(after.isUnchangedToast(c)).isTrue();
                } else {
                    assertThat(after.get(c)).isEqualTo(expected.get(c));
                }
            }
        }
    }

    /** Text of 0 to 40 code points drawn from ASCII, Latin, CJK and emoji planes. */
    private static String randomText(Random random) {
        int length = random.nextInt(41);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int codePoint = switch (random.nextInt(4)) {
                case 0 -> 0x20 + random.nextInt(0x5f);
                case 1 -> 0xa0 + random.nextInt(0x700);
                case 2 -> 0x4e00 + random.nextInt(0x5000);
                default -> 0x1f300 + random.nextInt(0x300);
            };
            text.appendCodePoint(codePoint);
        }
        return text.toString();
    }
}
