package dev.sluice.ddl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.TableRename;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the event triggers put into the WAL, read back through pgoutput as Sluice reads it. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DdlCaptureTest {

    @Test
    void eachCommandOfAMultiStatementQueryDecodesToItsOwnStatement() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            start(db, conn, TableFilter.all());
            db.execute("CREATE TABLE a (id int PRIMARY KEY); INSERT INTO a VALUES (1);"
                    + " ALTER TABLE a ADD COLUMN note text NOT NULL DEFAULT 'x'; ALTER TABLE a RENAME COLUMN note TO remark;"
                    + " ALTER TABLE a RENAME TO \"A b\"");

            List<SchemaChange> changes = changes(conn);

            assertThat(changes)
                    .extracting(c -> c.command().statement().orElseThrow())
                    .containsExactly(
                            "CREATE TABLE a (id int PRIMARY KEY)",
                            "ALTER TABLE a ADD COLUMN note text NOT NULL DEFAULT 'x'",
                            "ALTER TABLE a RENAME COLUMN note TO remark",
                            "ALTER TABLE a RENAME TO \"A b\"");
            DdlCommand added = changes.get(1).command();
            assertThat(added.tables()).singleElement().satisfies(t -> {
                assertThat(t.table()).isEqualTo(new TableId("public", "a"));
                assertThat(t.primaryKey()).containsExactly("id");
                assertThat(t.column("note")).hasValueSatisfying(c -> {
                    assertThat(c.type()).isEqualTo("text");
                    assertThat(c.notNull()).isTrue();
                    assertThat(c.defaultExpression()).contains("'x'::text");
                });
            });
            assertThat(changes.get(2).command().rename())
                    .contains(new ColumnRename(new TableId("public", "a"), "note", "remark"));
            assertThat(changes.get(3).command().rename())
                    .contains(new TableRename(new TableId("public", "a"), new TableId("public", "A b")));
        }
    }

    @Test
    void aTableMovedToAnotherSchemaIsARenameFromTheSchemaItLeft() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            start(db, conn, TableFilter.all());
            db.execute("CREATE SCHEMA archive; CREATE SCHEMA \"Old Stuff\";"
                    + " CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY);"
                    // Unqualified, under the default search_path "$user", public.
                    + " ALTER TABLE a SET SCHEMA archive;"
                    + " ALTER TABLE IF EXISTS archive . a SET SCHEMA \"Old Stuff\";"
                    + " ALTER TABLE public.b RENAME TO c");
            // Two schemas c could have been found in: which one held it is not known.
            db.execute("SET search_path = archive, public; ALTER TABLE c SET SCHEMA \"Old Stuff\"");

            List<SchemaChange> changes = changes(conn).stream()
                    .filter(c -> c.command().tag().equals("ALTER TABLE"))
                    .toList();

            assertThat(changes)
                    .extracting(c -> c.command().rename())
                    .containsExactly(
                            Optional.of(new TableRename(new TableId("public", "a"), new TableId("archive", "a"))),
                            Optional.of(new TableRename(new TableId("archive", "a"), new TableId("Old Stuff", "a"))),
                            Optional.of(new TableRename(new TableId("public", "b"), new TableId("public", "c"))),
                            Optional.empty());
        }
    }

    @Test
    void theOldSchemaOfAnUnqualifiedMoveIsTheOnlyOneTheSearchPathCanMean() {
        assertThat(DdlMessages.oldSchema("\"$user\", public", "archive")).contains("public");
        assertThat(DdlMessages.oldSchema("\"My, Schema\", pg_catalog, pg_temp", "x"))
                .contains("My, Schema");
        assertThat(DdlMessages.oldSchema("archive, Public", "archive"))
                .as("not the schema it moved to; unquoted names fold to lower case")
                .contains("public");
        assertThat(DdlMessages.oldSchema("archive, public", "other"))
                .as("either could have held the table")
                .isEmpty();
        assertThat(DdlMessages.oldSchema("public", "public")).isEmpty();
        assertThat(DdlMessages.oldSchema("", "archive")).isEmpty();
    }

    @Test
    void newMatchingTableJoinsThePublicationInItsOwnTransaction() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            start(db, conn, TableFilter.of(List.of("app.*", "!app.audit_*")));
            db.execute(
                    "CREATE SCHEMA app",
                    "CREATE TABLE app.orders (id int PRIMARY KEY)",
                    "CREATE TABLE app.audit_log (id int PRIMARY KEY)",
                    "CREATE TABLE public.elsewhere (id int PRIMARY KEY)",
                    "CREATE TABLE app.keyless (v int)");

            assertThat(db.queryForList("SELECT schemaname || '.' || tablename FROM pg_publication_tables"
                            + " WHERE pubname = 'pub' ORDER BY 1"))
                    .containsExactly("app.orders");
        }
    }

    @Test
    void sluiceObjectsTemporaryTablesAndRolledBackCommandsAreNotCaptured() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            start(db, conn, TableFilter.all());
            db.execute(
                    "CREATE TABLE sluice.mine (id int)",
                    "CREATE TEMP TABLE scratch (id int)",
                    "BEGIN; CREATE TABLE gone (id int); ROLLBACK",
                    "COMMENT ON SCHEMA public IS 'kept'");

            assertThat(changes(conn)).extracting(c -> c.command().tag()).containsExactly("COMMENT");
        }
    }

    @Test
    void dropsCarryWhatWasDroppedWithItsTable() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            db.execute("CREATE TABLE t (id int PRIMARY KEY, v int)");
            start(db, conn, TableFilter.all());
            db.execute("ALTER TABLE t DROP COLUMN v", "DROP TABLE t");

            List<SchemaChange> changes = changes(conn);

            assertThat(changes).extracting(c -> c.command().tag()).containsExactly("ALTER TABLE", "DROP TABLE");
            assertThat(changes.get(1).command().objects()).anySatisfy(o -> {
                assertThat(o.dropped()).isTrue();
                assertThat(o.table()).contains(new TableId("public", "t"));
            });
            assertThat(DdlMessages.concerns(changes.get(1).command(), TableFilter.of(List.of("!public.t"))))
                    .isFalse();
            assertThat(DdlMessages.concerns(changes.get(1).command(), TableFilter.all()))
                    .isTrue();
        }
    }

    @Test
    void uninstallRemovesTriggersOnlyWithTheLastPublication() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            DdlCapture.install(conn, "one", TableFilter.all());
            DdlCapture.install(conn, "two", TableFilter.all());

            assertThat(DdlCapture.uninstall(conn, "one")).isFalse();
            assertThat(DdlCapture.installed(conn)).isTrue();
            assertThat(DdlCapture.uninstall(conn, "two")).isTrue();
            assertThat(DdlCapture.installed(conn)).isFalse();
            assertThat(db.queryForString("SELECT count(*) FROM pg_proc WHERE pronamespace = 'sluice'::regnamespace"))
                    .isEqualTo("0");
        }
    }

    @Test
    void aLaterRunAsAUserWithoutInstallRightsFindsItInstalledAndChangesNothing() throws Exception {
        try (TestDatabase db = TestPostgres.server().createDatabase();
                Connection conn = db.connect()) {
            DdlCapture.install(conn, "pub", TableFilter.of(List.of("app.*")));
            db.execute("CREATE ROLE replicator LOGIN REPLICATION PASSWORD 'x'");
            try (Connection plain = DriverManager.getConnection(
                    db.url().jdbcUrl(),
                    db.url().withCredentials("replicator", "x").properties())) {
                DdlCapture.install(plain, "pub", TableFilter.of(List.of("app.*")));

                assertThatThrownBy(() -> DdlCapture.install(plain, "pub", TableFilter.of(List.of("other.*"))))
                        .hasMessageContaining("may not create event triggers");
            } finally {
                db.execute("DROP ROLE replicator");
            }
        }
    }

    @Test
    void unknownMessageVersionIsRefusedWithTheWayForward() {
        Message message = new Message(
                Lsn.parse("0/10"), true, DdlMessages.PREFIX, "{\"version\": 99}".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> new DdlMessages().decode(message))
                .hasMessageContaining("format version 99")
                .hasMessageContaining("sluice init");
    }

    private static void start(TestDatabase db, Connection conn, TableFilter filter) throws SQLException {
        db.execute("CREATE PUBLICATION pub");
        DdlCapture.install(conn, "pub", filter);
        try (Statement st = conn.createStatement()) {
            st.execute("SELECT pg_create_logical_replication_slot('s_" + db.name() + "', 'pgoutput')");
        }
    }

    /** Every DDL message in the slot so far, decoded. */
    private static List<SchemaChange> changes(Connection conn) throws SQLException {
        DdlMessages decoder = new DdlMessages();
        List<SchemaChange> changes = new ArrayList<>();
        try (Statement st = conn.createStatement()) {
            // The test servers commit asynchronously, and decoding stops at the WAL flushed so far.
            st.execute("CHECKPOINT");
        }
        try (Statement st = conn.createStatement();
                ResultSet rs = st.executeQuery("SELECT lsn::text, data FROM pg_logical_slot_get_binary_changes("
                        + "(SELECT slot_name FROM pg_replication_slots WHERE database = current_database()),"
                        + " NULL, NULL, 'proto_version', '1', 'publication_names', 'pub', 'messages', 'true')")) {
            while (rs.next()) {
                message(Lsn.parse(rs.getString(1)), rs.getBytes(2)).ifPresent(m -> changes.add(decoder.decode(m)));
            }
        }
        return changes;
    }

    /** Decodes a pgoutput Message ('M'): flags, LSN, prefix, content. */
    private static Optional<Message> message(Lsn lsn, byte[] data) {
        ByteBuffer buf = ByteBuffer.wrap(data);
        if (buf.get() != 'M') {
            return Optional.empty();
        }
        boolean transactional = buf.get() == 1;
        buf.getLong();
        int start = buf.position();
        while (buf.get() != 0) {
            // Reads the prefix up to its terminating zero.
        }
        String prefix = new String(data, start, buf.position() - start - 1, StandardCharsets.UTF_8);
        byte[] content = new byte[buf.getInt()];
        buf.get(content);
        Message m = new Message(lsn, transactional, prefix, content);
        return DdlMessages.isDdl(m) ? Optional.of(m) : Optional.empty();
    }
}
