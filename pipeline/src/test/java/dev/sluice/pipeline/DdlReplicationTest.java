package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.PgUrl;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.snapshot.SchemaCopier;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Schema changes made on the source while rows keep flowing replay on the target: for each kind
 * of change, rows written under the old shape, the change, rows written under the new one; then
 * the normalized {@code pg_dump --schema-only} of both sides and every table's rows are equal.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class DdlReplicationTest {

    private static final String[] BASE = {
        "CREATE TABLE items (id int PRIMARY KEY, note text, qty int NOT NULL DEFAULT 1)",
        "CREATE TABLE events (id int NOT NULL, region text NOT NULL, PRIMARY KEY (id, region))"
                + " PARTITION BY LIST (region)",
        "CREATE TABLE events_eu PARTITION OF events FOR VALUES IN ('eu')"
    };

    private static final String[] BEFORE = {
        "INSERT INTO items SELECT i, 'n' || i, i FROM generate_series(1, 100) i",
        "INSERT INTO events SELECT i, 'eu' FROM generate_series(1, 20) i"
    };

    private static final String[] AFTER = {
        "INSERT INTO items (id, qty) SELECT i, i FROM generate_series(101, 120) i",
        // (The note stays NULL: some cases drop or rename it; one makes it NOT NULL, and sets it.)
        "UPDATE items SET qty = qty + 1 WHERE id % 3 = 0",
        "DELETE FROM items WHERE id % 10 = 0"
    };

    private static Path pgDump;

    /** One kind of change: what runs on the source only, then rows that use the new shape. */
    record Case(String name, List<String> change, List<String> after) {
        Case(String name, String change, String... after) {
            this(name, List.of(change), List.of(after));
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        return Stream.of(
                new Case(
                        "create table",
                        "CREATE TABLE fresh (id int PRIMARY KEY, v text)",
                        "INSERT INTO fresh SELECT i, 'v' || i FROM generate_series(1, 50) i",
                        "UPDATE fresh SET v = 'changed' WHERE id < 10"),
                new Case(
                        "drop table",
                        List.of(
                                "CREATE TABLE doomed (id int PRIMARY KEY)",
                                "INSERT INTO doomed VALUES (1)",
                                "DROP TABLE doomed"),
                        List.of()),
                new Case(
                        "rename table",
                        "ALTER TABLE items RENAME TO goods",
                        "INSERT INTO goods VALUES (500, 'renamed', 5)",
                        "UPDATE goods SET note = 'after rename' WHERE id < 20"),
                new Case(
                        "add column",
                        "ALTER TABLE items ADD COLUMN price numeric(10, 2) DEFAULT 9.99",
                        "INSERT INTO items VALUES (500, 'priced', 1, 12.50)",
                        "UPDATE items SET price = id / 3.0 WHERE id < 30"),
                new Case("drop column", "ALTER TABLE items DROP COLUMN note", "INSERT INTO items VALUES (500, 7)"),
                new Case(
                        "rename column",
                        "ALTER TABLE items RENAME COLUMN note TO remark",
                        "UPDATE items SET remark = 'r' || id WHERE id < 50"),
                new Case(
                        "alter column type using",
                        "ALTER TABLE items ALTER COLUMN note TYPE varchar(40) USING upper(note)",
                        "INSERT INTO items VALUES (500, 'typed', 1)"),
                new Case(
                        "set and drop not null",
                        List.of(
                                "ALTER TABLE items ALTER COLUMN note SET NOT NULL",
                                "INSERT INTO items VALUES (500, 'kept', 1)",
                                "ALTER TABLE items ALTER COLUMN qty DROP NOT NULL",
                                "ALTER TABLE items ALTER COLUMN note SET DEFAULT ''"),
                        List.of("INSERT INTO items VALUES (501, 'no qty', NULL)")),
                new Case(
                        "set and drop default",
                        List.of(
                                "ALTER TABLE items ALTER COLUMN note SET DEFAULT 'dflt'",
                                "ALTER TABLE items ALTER COLUMN qty DROP DEFAULT"),
                        List.of("INSERT INTO items (id, qty) VALUES (500, 3)")),
                new Case(
                        "constraints",
                        List.of(
                                "CREATE TABLE owners (id int, name text)",
                                "ALTER TABLE owners ADD PRIMARY KEY (id)",
                                "ALTER TABLE owners ADD CONSTRAINT owners_name_key UNIQUE (name)",
                                "INSERT INTO owners VALUES (1, 'a'), (2, 'b')",
                                "ALTER TABLE items ADD COLUMN owner int",
                                "ALTER TABLE items ADD CONSTRAINT items_owner_fk FOREIGN KEY (owner) REFERENCES owners",
                                "ALTER TABLE items ADD CONSTRAINT qty_positive CHECK (qty > 0) NOT VALID",
                                "ALTER TABLE items VALIDATE CONSTRAINT qty_positive",
                                "ALTER TABLE owners DROP CONSTRAINT owners_name_key"),
                        List.of("UPDATE items SET owner = 1 WHERE id < 10", "INSERT INTO owners VALUES (3, 'b')")),
                new Case(
                        "create and drop index, also concurrently",
                        List.of(
                                "CREATE INDEX items_note ON items (note)",
                                "CREATE UNIQUE INDEX CONCURRENTLY items_note_qty ON items (note, qty)",
                                "DROP INDEX items_note",
                                "CREATE INDEX CONCURRENTLY items_qty ON items (qty) WHERE qty > 50",
                                "DROP INDEX CONCURRENTLY items_qty"),
                        List.of("INSERT INTO items VALUES (500, 'indexed', 2)")),
                new Case(
                        "create type and add enum value",
                        List.of(
                                "CREATE TYPE mood AS ENUM ('sad', 'ok')",
                                "ALTER TABLE items ADD COLUMN mood mood",
                                "UPDATE items SET mood = 'ok' WHERE id < 5",
                                "ALTER TYPE mood ADD VALUE 'happy'",
                                "CREATE TYPE pair AS (a int, b text)"),
                        List.of("UPDATE items SET mood = 'happy' WHERE id BETWEEN 5 AND 9")),
                new Case(
                        "sequences",
                        List.of(
                                "CREATE SEQUENCE tickets START 100 INCREMENT 5",
                                "ALTER SEQUENCE tickets INCREMENT 10",
                                "CREATE SEQUENCE scratch",
                                "DROP SEQUENCE scratch",
                                // Added without a default, then given one: a volatile default in ADD COLUMN
                                // fills the existing rows on each side on its own (docs/DDL.md).
                                "ALTER TABLE items ADD COLUMN ticket bigint",
                                "ALTER TABLE items ALTER COLUMN ticket SET DEFAULT nextval('tickets')"),
                        List.of("INSERT INTO items (id) VALUES (500)")),
                new Case(
                        "identity and generated columns",
                        List.of(
                                "CREATE TABLE counted (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)",
                                "ALTER TABLE items ADD COLUMN double_qty int GENERATED ALWAYS AS (qty * 2) STORED",
                                // On a table with rows, an identity column added would number the existing
                                // rows on each side on its own (docs/DDL.md): added here while it is empty.
                                "CREATE TABLE tagged (id int PRIMARY KEY)",
                                "ALTER TABLE tagged ADD COLUMN serial_no int GENERATED BY DEFAULT AS IDENTITY"),
                        List.of(
                                "INSERT INTO counted (v) SELECT 'c' || i FROM generate_series(1, 10) i",
                                "INSERT INTO items (id, note) VALUES (500, 'gen')",
                                "INSERT INTO tagged (id) SELECT generate_series(1, 5)")),
                new Case(
                        "create schema",
                        List.of("CREATE SCHEMA extra", "CREATE TABLE extra.things (id int PRIMARY KEY, v int)"),
                        List.of("INSERT INTO extra.things SELECT i, i FROM generate_series(1, 10) i")),
                new Case(
                        "views and materialized views",
                        List.of(
                                "CREATE VIEW big_items AS SELECT id, note FROM items WHERE qty > 50",
                                "CREATE MATERIALIZED VIEW item_totals AS SELECT count(*) AS n, sum(qty) AS q FROM items",
                                "CREATE OR REPLACE VIEW big_items AS SELECT id, note, qty FROM items WHERE qty > 60"),
                        List.of("INSERT INTO items VALUES (500, 'm', 99)", "REFRESH MATERIALIZED VIEW item_totals")),
                new Case(
                        "functions and triggers",
                        List.of(
                                "CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                                        + " NEW.qty := NEW.qty + 1000; RETURN NEW; END $$",
                                "CREATE TRIGGER items_bump BEFORE INSERT ON items FOR EACH ROW EXECUTE FUNCTION bump()",
                                "CREATE FUNCTION twice(int) RETURNS int LANGUAGE sql IMMUTABLE BEGIN ATOMIC"
                                        + " SELECT $1 * 2; END"),
                        List.of("INSERT INTO items VALUES (500, 'triggered', 1)")),
                new Case(
                        "partitions attached and detached",
                        List.of(
                                "CREATE TABLE events_us (id int NOT NULL, region text NOT NULL)",
                                "ALTER TABLE events ATTACH PARTITION events_us FOR VALUES IN ('us')",
                                "INSERT INTO events SELECT i, 'us' FROM generate_series(1, 10) i",
                                "CREATE TABLE events_asia PARTITION OF events FOR VALUES IN ('asia')",
                                "ALTER TABLE events DETACH PARTITION events_eu"),
                        List.of(
                                "INSERT INTO events VALUES (100, 'asia'), (101, 'us')",
                                "INSERT INTO events_eu VALUES (500, 'eu')",
                                "UPDATE events_eu SET id = id + 1000 WHERE id < 5")),
                new Case(
                        "comments",
                        List.of("COMMENT ON TABLE items IS 'the items'", "COMMENT ON COLUMN items.qty IS 'how many'"),
                        List.of()),
                new Case(
                        "one transaction mixing rows and schema changes",
                        List.of("BEGIN; INSERT INTO items VALUES (500, 'first', 1);"
                                + " ALTER TABLE items ADD COLUMN flag boolean NOT NULL DEFAULT false;"
                                + " UPDATE items SET flag = true WHERE id < 50;"
                                + " CREATE TABLE audit (id int PRIMARY KEY, at timestamptz DEFAULT now());"
                                + " INSERT INTO audit (id) VALUES (1);"
                                + " ALTER TABLE items DROP COLUMN note; COMMIT"),
                        List.of(
                                "INSERT INTO items (id, flag) VALUES (501, true)",
                                "INSERT INTO audit (id) VALUES (2)")),
                new Case(
                        "changes rolled back are not replicated",
                        List.of(
                                "BEGIN; ALTER TABLE items ADD COLUMN oops int; INSERT INTO items VALUES (500, 'x', 1, 1);"
                                        + " ROLLBACK",
                                "DO $$ BEGIN ALTER TABLE items ADD COLUMN fails int; RAISE EXCEPTION 'no'; END $$"
                                        + " ; SELECT 1"),
                        List.of("INSERT INTO items VALUES (500, 'y', 1)")));
    }

    @BeforeAll
    static void findPgDump() {
        PgUrl unused = PgUrl.of("localhost", 5432, "postgres", null, null);
        pgDump = SchemaCopier.create(null, unused, unused, TestPostgres.server().majorVersion())
                .pgDump();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void schemaChangeReplaysBeforeTheRowsThatFollowIt(Case c) throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(BASE)) {
            replication.start();
            source.execute(BEFORE);
            for (String change : c.change()) {
                executeAllowingFailure(source, change);
            }
            source.execute(c.after().toArray(String[]::new));
            String items = tableNow(source);
            source.execute(
                    Stream.of(AFTER).map(sql -> sql.replace("items", items)).toArray(String[]::new));
            replication.awaitCaughtUp(Duration.ofSeconds(60));

            assertThat(SchemaDump.of(pgDump, target))
                    .as("normalized schema of the target after: %s", c.name())
                    .containsExactlyElementsOf(SchemaDump.of(pgDump, source));
            List<String> tables = source.queryForList("SELECT quote_ident(schemaname) || '.' || quote_ident(tablename)"
                    + " FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema', 'sluice')"
                    + " ORDER BY 1");
            replication.assertSameData(tables.toArray(String[]::new));
        }
    }

    @Test
    void aMigrationSentAsOneQueryStringReplaysStatementByStatement() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(BASE)) {
            replication.start();
            source.execute(BEFORE);
            // The simple query protocol sends the string whole, as psql -c and many drivers do, so
            // every command in it reports the whole string as its query.
            Properties simple = source.url().sessionProperties("migration");
            simple.setProperty("preferQueryMode", "simple");
            try (Connection conn = DriverManager.getConnection(source.url().jdbcUrl(), simple);
                    Statement st = conn.createStatement()) {
                st.execute("""
                        -- a migration; with a semicolon in this comment;
                        CREATE TABLE tags (id int PRIMARY KEY, label text DEFAULT 'a;b');
                        INSERT INTO tags VALUES (1, 'one');
                        CREATE TEMP TABLE scratch (id int);
                        ALTER TABLE items ADD COLUMN tag int REFERENCES tags;
                        UPDATE items SET tag = 1 WHERE id < 10;
                        CREATE FUNCTION label_of(int) RETURNS text LANGUAGE sql AS $f$ SELECT label FROM tags
                            WHERE id = $1; $f$;
                        COMMENT ON TABLE tags IS 'it''s; tagged';
                        """);
            }
            source.execute("INSERT INTO tags VALUES (2, 'two')");
            replication.awaitCaughtUp(Duration.ofSeconds(60));

            assertThat(SchemaDump.of(pgDump, target)).containsExactlyElementsOf(SchemaDump.of(pgDump, source));
            replication.assertSameData("items", "tags");
        }
    }

    @Test
    void aChangeMadeByADoBlockStopsSluiceUntilAppliedByHandAndSkipped() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(BASE)) {
            replication.start();
            source.execute(BEFORE);
            replication.awaitCaughtUp(Duration.ofSeconds(60));
            source.execute(
                    "DO $$ BEGIN EXECUTE 'ALTER TABLE items ADD COLUMN ' || 'extra int'; END $$",
                    "UPDATE items SET extra = id WHERE id < 10");

            assertThatThrownBy(() -> replication.awaitCaughtUp(Duration.ofSeconds(30)))
                    .hasMessageContaining("Cannot replay the schema change ALTER TABLE on table public.items")
                    .hasMessageContaining("inside a function or a DO block");
            Matcher named = Pattern.compile("ddl.skip_through: '([0-9A-F]+/[0-9A-F]+)'")
                    .matcher(replication.takeFailure().getMessage());
            assertThat(named.find())
                    .as("the error names the position to skip through")
                    .isTrue();
            assertThat(target.queryForString("SELECT count(*) FROM information_schema.columns"
                            + " WHERE table_name = 'items' AND column_name = 'extra'"))
                    .as("nothing of the transaction was applied")
                    .isEqualTo("0");

            target.execute("ALTER TABLE items ADD COLUMN extra int");
            replication.start(Map.of(Setting.DDL_SKIP_THROUGH, named.group(1)));
            replication.awaitCaughtUp(Duration.ofSeconds(60));
            replication.assertSameData("items");
        }
    }

    /** The items table's name now, after a case that may have renamed it. */
    private static String tableNow(TestDatabase source) {
        return source.queryForString("SELECT CASE WHEN to_regclass('goods') IS NULL THEN 'items' ELSE 'goods' END");
    }

    /** Runs a change that is meant to fail on the source: it must then leave no trace on either side. */
    private static void executeAllowingFailure(TestDatabase source, String sql) {
        try {
            source.execute(sql);
        } catch (IllegalStateException e) {
            assertThat(sql).as("only a DO block raising on purpose may fail").contains("RAISE EXCEPTION");
        }
    }
}
