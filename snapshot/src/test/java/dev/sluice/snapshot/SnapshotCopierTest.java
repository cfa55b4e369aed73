package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.spi.Processor;
import dev.sluice.testing.PgServer;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The copy holds exactly the source as of the exported snapshot, while the source keeps changing. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SnapshotCopierTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE small (id int PRIMARY KEY, v text)",
        "CREATE TABLE big (id bigint PRIMARY KEY, payload text, n numeric)",
        "CREATE TABLE parted (region text, v int) PARTITION BY LIST (region)",
        "CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu')",
        "CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us')",
        "CREATE TABLE empty (id int PRIMARY KEY)",
        "CREATE TABLE nokey (a int, b text)",
        "CREATE TABLE gen (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED)",
        "CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text)"
    };

    private static final List<String> TABLES = List.of("small", "big", "parted", "empty", "nokey", "gen", "ident");

    @Test
    void copyEqualsTheSourceAsOfTheSnapshotWhileWritesContinue() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute(
                    "INSERT INTO small SELECT i, 'v' || i FROM generate_series(1, 1000) i",
                    // Rows larger than the copy's 64 kB chunks, between ordinary ones.
                    "INSERT INTO small SELECT i, repeat(md5(i::text), 5000) FROM generate_series(1001, 1003) i",
                    "INSERT INTO big SELECT i, repeat(md5(i::text), 4), i / 7.0 FROM generate_series(1, 100000) i",
                    "INSERT INTO parted SELECT CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, i"
                            + " FROM generate_series(1, 5000) i",
                    "INSERT INTO nokey SELECT i % 10, 'dup' FROM generate_series(1, 300) i",
                    "INSERT INTO gen (id, a) SELECT i, i FROM generate_series(1, 100) i",
                    "INSERT INTO ident (note) SELECT 'n' || i FROM generate_series(1, 100) i",
                    "ANALYZE");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong writes = new AtomicLong();
            Thread writer = new Thread(() -> write(source, stop, writes), "writer");
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_test")) {
                writer.start();
                Thread.sleep(200);
                Recorder recorder = new Recorder();
                List<SnapshotCopier.TableResult> results = new SnapshotCopier(
                                new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()), recorder)
                        .copy(
                                snapshot,
                                TABLES.stream()
                                        .map(t -> new TableId("public", t))
                                        .toList());
                stop.set(true);
                writer.join();
                assertThat(writes.get())
                        .as("the source changed during the copy")
                        .isPositive();
                for (String table : TABLES) {
                    assertThat(checksum(target, table, null))
                            .as("table %s as of the snapshot", table)
                            .isEqualTo(checksum(source, table, snapshot.name()));
                }
                assertThat(checksum(source, "big", null)).isNotEqualTo(checksum(target, "big", null));
                assertThat(results)
                        .filteredOn(r -> r.table().name().equals("big"))
                        .singleElement()
                        .satisfies(r -> assertThat(r.rows()).isEqualTo(100000));
                assertThat(results)
                        .extracting(r -> r.table().name())
                        .as("a partitioned table is reported as one")
                        .containsExactlyInAnyOrderElementsOf(TABLES);
                assertThat(results)
                        .as("built-in types only, same server version: every part in binary COPY")
                        .allMatch(SnapshotCopier.TableResult::binary);
                assertThat(recorder.planned).hasSize(results.size());
                assertThat(recorder.finished)
                        .as("each table is reported finished once, with what was copied")
                        .containsExactlyInAnyOrderElementsOf(results);
                for (SnapshotCopier.TableResult r : results) {
                    assertThat(recorder.copiedRows.getOrDefault(r.table(), 0L))
                            .as("rows reported for %s", r.table())
                            .isEqualTo(r.rows());
                }
            } finally {
                stop.set(true);
                source.execute("SELECT pg_drop_replication_slot('snap_test')");
            }
        }
    }

    /** Keeps what the copier reports. */
    private static final class Recorder implements SnapshotCopier.Listener {
        final List<SnapshotCopier.TableEstimate> planned = new CopyOnWriteArrayList<>();
        final Map<TableId, Long> copiedRows = new ConcurrentHashMap<>();
        final List<SnapshotCopier.TableResult> finished = new CopyOnWriteArrayList<>();

        @Override
        public void planned(List<SnapshotCopier.TableEstimate> tables) {
            planned.addAll(tables);
        }

        @Override
        public void copied(TableId table, long rows, long bytes) {
            copiedRows.merge(table, rows, Long::sum);
        }

        @Override
        public void finished(Connection target, SnapshotCopier.TableResult result) {
            finished.add(result);
        }
    }

    @Test
    void rowsPassThroughTheProcessorsLikeStreamedRows() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute("INSERT INTO small SELECT i, E'v\\t' || i FROM generate_series(1, 50) i");
            Processor upper = change -> change instanceof Insert insert
                            && insert.after().get(0).equals("13")
                    ? null
                    : new Insert(
                            change.relation(),
                            ((Insert) change)
                                    .after()
                                    .with(1, ((Insert) change).after().get(1).toUpperCase()));
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_proc")) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of(upper)))
                        .copy(snapshot, List.of(new TableId("public", "small")));
            } finally {
                source.execute("SELECT pg_drop_replication_slot('snap_proc')");
            }
            assertThat(target.queryForString("SELECT count(*) FROM small")).isEqualTo("49");
            assertThat(target.queryForString("SELECT v FROM small WHERE id = 7"))
                    .isEqualTo("V\t7");
        }
    }

    @Test
    void tablesNoProcessorChangesAreCopiedWithoutParsing() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute(
                    "INSERT INTO small SELECT i, 'v' || i FROM generate_series(1, 50) i",
                    "INSERT INTO nokey SELECT i, 'n' || i FROM generate_series(1, 50) i");
            Processor onlySmall = new Processor() {
                @Override
                public dev.sluice.core.event.ChangeEvent.RowChange process(
                        dev.sluice.core.event.ChangeEvent.RowChange change) {
                    if (!change.relation().table().name().equals("small")) {
                        throw new AssertionError(
                                "asked to process a row of " + change.relation().table());
                    }
                    Insert insert = (Insert) change;
                    return new Insert(insert.relation(), insert.after().with(1, "x"));
                }

                @Override
                public boolean changes(dev.sluice.core.event.Relation relation) {
                    return relation.table().name().equals("small");
                }
            };
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_pass")) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of(onlySmall)))
                        .copy(snapshot, List.of(new TableId("public", "small"), new TableId("public", "nokey")));
            } finally {
                source.execute("SELECT pg_drop_replication_slot('snap_pass')");
            }
            assertThat(target.queryForString("SELECT count(*) FROM small WHERE v = 'x'"))
                    .isEqualTo("50");
            assertThat(target.tableChecksum("nokey"))
                    .as("copied byte for byte, never handed to the processor")
                    .isEqualTo(source.tableChecksum("nokey"));
        }
    }

    @Test
    void columnsNoProcessorUsesArriveExactInEveryTypeWhileTheUsedOneChanges() throws Exception {
        String[] schema = {
            "CREATE TYPE pair AS (x int, y text)",
            "CREATE TABLE typed (id int PRIMARY KEY, t text, v text, b bytea, j jsonb, a int[], ta text[],"
                    + " ts timestamptz, u uuid, n numeric, p point, r int4range, bo bool, c pair, ch char(3))"
        };
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(schema);
            target.execute(schema);
            source.execute("INSERT INTO typed SELECT i,"
                    + " CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN E'tab\\there\\nnew\\\\back\\r'"
                    + "   WHEN 3 THEN E'\\b\\f' || chr(11) || E'\\\\N' ELSE 'é日本🐘 ' || i END,"
                    + " CASE WHEN i % 4 = 0 THEN NULL ELSE E'secret\\t' || i END,"
                    + " CASE WHEN i % 6 = 0 THEN NULL ELSE decode(md5(i::text) || '00095c0a', 'hex') END,"
                    + " jsonb_build_object('k', E'q\"uo\\\\te\\t' || i, 'n', i, 'u', 'é'),"
                    + " ARRAY[i, NULL, -i], ARRAY['a b', NULL, E'c\"d', E'e\\\\f', ''],"
                    + " timestamptz '2020-01-01 00:00:00+00' + i * interval '1 minute 1.5 second',"
                    + " md5(i::text)::uuid, i / 7.0, point(i, -i), int4range(i, i + 10), i % 2 = 0,"
                    + " ROW(i, E'x\\ty')::pair, CASE WHEN i % 3 = 0 THEN NULL ELSE 'ab' END"
                    + " FROM generate_series(1, 2000) i");
            String others = "SELECT md5(string_agg((id, t, b, j, a, ta, ts, u, n, p, r, bo, c, ch)::text, E'\\n'"
                    + " ORDER BY id)) FROM typed";
            java.util.BitSet onlyV = new java.util.BitSet();
            onlyV.set(2);
            Processor maskV = new Processor() {
                @Override
                public dev.sluice.core.event.ChangeEvent.RowChange process(
                        dev.sluice.core.event.ChangeEvent.RowChange change) {
                    Insert insert = (Insert) change;
                    String v = insert.after().get(2);
                    return new Insert(insert.relation(), insert.after().with(2, v == null ? null : "masked"));
                }

                @Override
                public java.util.BitSet columnsUsed(dev.sluice.core.event.Relation relation) {
                    return (java.util.BitSet) onlyV.clone();
                }
            };
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_splice")) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of(maskV)))
                        .copy(snapshot, List.of(new TableId("public", "typed")));
            } finally {
                source.execute("SELECT pg_drop_replication_slot('snap_splice')");
            }
            assertThat(target.queryForString("SELECT count(*) FROM typed")).isEqualTo("2000");
            assertThat(target.queryForString(others))
                    .as("every column but v, byte for byte")
                    .isEqualTo(source.queryForString(others));
            assertThat(target.queryForString("SELECT count(*) FROM typed WHERE v = 'masked'"))
                    .isEqualTo("1500");
            assertThat(target.queryForString("SELECT count(*) FROM typed WHERE v IS NULL"))
                    .isEqualTo("500");
        }
    }

    @Test
    void everyBuiltInTypeArrivesExactThroughBinaryCopy() throws Exception {
        String[] schema = {
            "CREATE TABLE every (id int PRIMARY KEY, i2 int2, i8 int8, n numeric, n2 numeric(12, 3), f4 float4,"
                    + " f8 float8, bo bool, t text, vc varchar(12), ch char(3), nm name, b bytea, d date, tm time,"
                    + " ttz timetz, ts timestamp, tstz timestamptz, iv interval, u uuid, j json, jb jsonb, ip inet,"
                    + " net cidr, mac macaddr, m money, bt bit(4), vb varbit, tv tsvector, p point, bx box,"
                    + " r int4range, tr tstzrange, ia int[], ta text[][], o oid, l pg_lsn)"
        };
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(schema);
            target.execute(schema);
            source.execute(
                    "INSERT INTO every SELECT i, (i % 32000)::int2, i * 1000000007::int8,"
                            + " (ARRAY['NaN', '0', '-1e-100', '123456789012345678901234567890.000000001',"
                            + "   'Infinity', '-Infinity'])[1 + i % 6]::numeric, i / 7.0,"
                            + " (ARRAY['NaN', 'Infinity', '-0', '1.17549e-38', '3.1'])[1 + i % 5]::float4,"
                            + " (ARRAY['NaN', '-Infinity', '-0', '1e308', '5e-324', '0.1'])[1 + i % 6]::float8,"
                            + " i % 2 = 0, CASE i % 4 WHEN 0 THEN '' WHEN 1 THEN E'tab\\there\\n\\\\x'"
                            + "   ELSE 'é日本🐘 ' || i END,"
                            + " 'v' || i, 'ab', 'n' || i, decode(md5(i::text) || '00095c0a', 'hex'),"
                            + " (ARRAY['infinity', '-infinity', '0044-03-15 BC', '2024-02-29'])[1 + i % 4]::date,"
                            + " time '23:59:59.999999' - i * interval '1 second', timetz '12:00+05:30',"
                            + " (ARRAY['infinity', '1999-12-31 23:59:59.5', '4713-01-01 BC'])[1 + i % 3]::timestamp,"
                            + " timestamptz '2020-01-01 00:00:00+00' + i * interval '1 minute 1.5 second',"
                            + " make_interval(0, i, 0, -i, 0, 0, i / 3.0), md5(i::text)::uuid,"
                            + " json_build_object('k', E'q\"uo\\\\te', 'n', i), jsonb_build_object('u', 'é', 'n', i),"
                            + " ('10.0.' || (i % 256) || '.1/24')::inet, '2001:db8::/32', '08:00:2b:01:02:03',"
                            + " (i * 1.25)::money, B'1010', (i % 7)::bit(3)::varbit, to_tsvector('simple', 'a b' || i),"
                            + " point(i, -i), box(point(0, 0), point(i, i)), int4range(i, NULL),"
                            + " tstzrange('2020-01-01', NULL, '[)'), ARRAY[i, NULL, -i],"
                            + " ARRAY[ARRAY['a b', NULL], ARRAY[E'c\"d', '']], i::oid, ('0/' || to_hex(i))::pg_lsn"
                            + " FROM generate_series(1, 3000) i",
                    "INSERT INTO every (id) VALUES (0)", "ANALYZE every");
            String rows = "SELECT md5(string_agg(e::text, E'\\n' ORDER BY id)) FROM every e";
            Recorder recorder = new Recorder();
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_binary")) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 1, List.of()), recorder)
                        .copy(snapshot, List.of(new TableId("public", "every")));
            } finally {
                source.execute("SELECT pg_drop_replication_slot('snap_binary')");
            }
            assertThat(recorder.finished).singleElement().satisfies(r -> {
                assertThat(r.binary()).as("copied in binary").isTrue();
                assertThat(r.rows()).isEqualTo(3001);
            });
            assertThat(target.queryForString(rows)).isEqualTo(source.queryForString(rows));
        }
    }

    @Test
    void tablesBinaryCopyCannotCarryGoAsTextAndArriveExact() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            for (TestDatabase db : List.of(source, target)) {
                db.execute(
                        "CREATE TYPE mood AS ENUM ('sad', 'ok')",
                        "CREATE TYPE pair AS (x int, y text)",
                        "CREATE DOMAIN positive AS int CHECK (VALUE > 0)",
                        "CREATE TABLE custom (id int PRIMARY KEY, m mood, ms mood[], c pair, p positive)");
            }
            source.execute("CREATE TABLE widened (id int PRIMARY KEY, n int, t varchar(5))");
            // snapshot.mode data: the target's table is the user's, with a wider column.
            target.execute("CREATE TABLE widened (id int PRIMARY KEY, n bigint, t varchar(5))");
            source.execute(
                    "INSERT INTO custom SELECT i, 'ok', ARRAY['sad', NULL]::mood[], ROW(i, E'x\\ty')::pair, i"
                            + " FROM generate_series(1, 100) i",
                    "INSERT INTO widened SELECT i, -i, 'w' || i FROM generate_series(1, 100) i");
            Recorder recorder = new Recorder();
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_text")) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()), recorder)
                        .copy(snapshot, List.of(new TableId("public", "custom"), new TableId("public", "widened")));
            } finally {
                source.execute("SELECT pg_drop_replication_slot('snap_text')");
            }
            assertThat(recorder.finished)
                    .hasSize(2)
                    .allSatisfy(r ->
                            assertThat(r.binary()).as("%s in text", r.table()).isFalse());
            for (String table : List.of("custom", "widened")) {
                String rows = "SELECT md5(string_agg(x::text, E'\\n' ORDER BY id)) FROM " + table + " x";
                assertThat(target.queryForString(rows)).as(table).isEqualTo(source.queryForString(rows));
            }
        }
    }

    @Test
    void serversOfAnotherVersionOrEncodingGetTextAndTheSameValues() throws Exception {
        String table = "CREATE TABLE plain (id int PRIMARY KEY, t text, c \"char\", ts timestamptz, n numeric)";
        String latin1 = "sluice_copy_latin1";
        PgServer server = TestPostgres.server();
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase newest =
                        TestPostgres.server(TestPostgres.NEWEST_MAJOR).createDatabase();
                Connection admin = server.connect("postgres");
                Statement st = admin.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + latin1);
            st.execute(
                    "CREATE DATABASE " + latin1 + " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
            try (Connection c = server.connect(latin1);
                    Statement ct = c.createStatement()) {
                ct.execute(table);
                source.execute(table);
                newest.execute(table);
                source.execute("INSERT INTO plain SELECT i, 'café ' || i, chr(65 + i % 26),"
                        + " timestamptz '2024-01-01 00:00+00' + i * interval '1 hour', i / 3.0"
                        + " FROM generate_series(1, 200) i");
                // The text itself, not a hash: a hash of the LATIN1 database's bytes differs from UTF8's.
                String rows = "SELECT string_agg(p::text, E'\\n' ORDER BY id) FROM plain p";
                // Binary only where both ends are alike: never into LATIN1, into the newest major
                // only when it is also the default one (a machine with no other binaries).
                Map<PgUrl, Boolean> binaryExpected = Map.of(
                        newest.url(),
                        TestPostgres.defaultMajor() == TestPostgres.NEWEST_MAJOR,
                        server.url(latin1),
                        false);
                for (PgUrl target : binaryExpected.keySet()) {
                    Recorder recorder = new Recorder();
                    try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "snap_alike")) {
                        new SnapshotCopier(new SnapshotCopier.Config(source.url(), target, 2, 64, List.of()), recorder)
                                .copy(snapshot, List.of(new TableId("public", "plain")));
                    } finally {
                        source.execute("SELECT pg_drop_replication_slot('snap_alike')");
                    }
                    assertThat(recorder.finished)
                            .singleElement()
                            .satisfies(r -> assertThat(r.binary())
                                    .as("binary into %s", target)
                                    .isEqualTo(binaryExpected.get(target)));
                }
                assertThat(newest.queryForString(rows)).isEqualTo(source.queryForString(rows));
                try (ResultSet rs = ct.executeQuery(rows)) {
                    rs.next();
                    assertThat(rs.getString(1)).as("LATIN1 copy").isEqualTo(source.queryForString(rows));
                }
            } finally {
                st.execute("DROP DATABASE IF EXISTS " + latin1 + " WITH (FORCE)");
            }
        }
    }

    private static void write(TestDatabase source, AtomicBoolean stop, AtomicLong writes) {
        try (Connection c = source.connect();
                Statement st = c.createStatement()) {
            int i = 0;
            while (!stop.get()) {
                i++;
                st.execute("UPDATE big SET payload = 'changed' WHERE id = " + (1 + i * 37 % 100000));
                st.execute("INSERT INTO small VALUES (" + (100000 + i) + ", 'new')");
                st.execute("DELETE FROM parted WHERE v = " + i);
                writes.incrementAndGet();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Checksum of a table's rows, now or as of an exported snapshot. */
    private static String checksum(TestDatabase db, String table, String snapshot) throws SQLException {
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ");
                if (snapshot != null) {
                    st.execute("SET TRANSACTION SNAPSHOT '" + snapshot + "'");
                }
                try (ResultSet rs = st.executeQuery("SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY"
                        + " x::text COLLATE \"C\"), '')) FROM " + table + " x")) {
                    rs.next();
                    return rs.getString(1);
                }
            } finally {
                c.rollback();
            }
        }
    }
}
