package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Schema before rows, constraints and indexes after: the target ends with the source's schema and rows. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SchemaCopierTest {

    private static final String[] SCHEMA = {
        "CREATE ROLE sluice_test_owner",
        "CREATE SCHEMA app",
        "CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy')",
        "CREATE DOMAIN app.posint AS int CHECK (VALUE > 0)",
        "CREATE SEQUENCE app.ticket_seq START 100",
        "CREATE TABLE app.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE,"
                + " mood app.mood, score app.posint, doubled int GENERATED ALWAYS AS (score * 2) STORED)",
        "CREATE TABLE app.orders (id int PRIMARY KEY DEFAULT nextval('app.ticket_seq'),"
                + " customer_id bigint REFERENCES app.customers, total numeric(12, 2) CHECK (total >= 0))",
        "CREATE INDEX orders_customer ON app.orders (customer_id)",
        "CREATE TABLE app.events (at date, what text) PARTITION BY RANGE (at)",
        "CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE UNLOGGED TABLE app.scratch (k text)",
        "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch()",
        "CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100",
        // Populated while the table is still empty.
        "CREATE MATERIALIZED VIEW app.order_count AS SELECT count(*) AS n FROM app.orders",
        "COMMENT ON TABLE app.orders IS 'one per purchase'",
        "ALTER TABLE app.orders OWNER TO sluice_test_owner"
    };

    @Test
    void targetGetsTheSourceSchemaAndRows() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            try {
                source.execute(SCHEMA);
                source.execute(
                        "INSERT INTO app.customers (email, mood, score) SELECT 'c' || i, 'ok', i"
                                + " FROM generate_series(1, 100) i",
                        "INSERT INTO app.orders (customer_id, total) SELECT 1 + i % 100, i FROM generate_series(1, 500) i",
                        "INSERT INTO app.events VALUES ('2024-05-01', 'launch')");
                int major = Integer.parseInt(source.queryForString("SHOW server_version_num")) / 10000;
                SchemaCopier schema = SchemaCopier.create(null, source.url(), target.url(), major);
                try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "schema_test")) {
                    schema.copy(SchemaCopier.Section.PRE_DATA, snapshot.name());
                    new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()))
                            .copy(
                                    snapshot,
                                    List.of(
                                            new TableId("app", "customers"),
                                            new TableId("app", "orders"),
                                            new TableId("app", "events"),
                                            new TableId("app", "scratch")));
                    schema.copy(SchemaCopier.Section.POST_DATA, snapshot.name());
                } finally {
                    source.execute("SELECT pg_drop_replication_slot('schema_test')");
                }
                assertThat(normalized(schema, target)).isEqualTo(normalized(schema, source));
                for (String table : List.of("app.customers", "app.orders", "app.events")) {
                    assertThat(target.tableChecksum(table)).as(table).isEqualTo(source.tableChecksum(table));
                }
                // Identity columns and sequences must continue above the copied values (kept in step later).
                assertThat(target.queryForString("SELECT count(*) FROM app.big_orders"))
                        .isEqualTo("400");
                // Refreshed on the target, from the copied rows.
                assertThat(target.queryForString("SELECT n FROM app.order_count"))
                        .isEqualTo("500");
            } finally {
                source.execute("DROP SCHEMA IF EXISTS app CASCADE", "DROP ROLE IF EXISTS sluice_test_owner");
            }
        }
    }

    @Test
    void refusesAPgDumpOlderThanTheServer() {
        TestDatabase any = TestPostgres.server().createDatabase();
        try (any) {
            assertThatThrownBy(() -> SchemaCopier.create(null, any.url(), any.url(), 99))
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("which cannot dump a PostgreSQL 99 server")
                    .hasMessageContaining("postgresql-client-99");
        }
    }

    /** The schema as pg_dump prints it, without comments, settings and blank lines. */
    private static String normalized(SchemaCopier schema, TestDatabase db) {
        SchemaCopier dumper = SchemaCopier.create(schema.pgDump(), db.url(), db.url(), 0);
        String pre = dumper.dump(SchemaCopier.Section.PRE_DATA, null);
        String post = dumper.dump(SchemaCopier.Section.POST_DATA, null);
        return (pre + post)
                .lines()
                .filter(l -> !l.isBlank()
                        && !l.startsWith("--")
                        && !l.startsWith("SET ")
                        && !l.startsWith("SELECT pg_catalog.set_config"))
                .collect(Collectors.joining("\n"));
    }
}
