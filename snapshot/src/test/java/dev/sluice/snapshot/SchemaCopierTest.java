package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.util.List;
import java.util.Set;
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
        "CREATE INDEX orders_big ON app.orders (total) WHERE total > 100",
        "COMMENT ON INDEX app.orders_customer IS 'by customer'",
        "ALTER TABLE app.orders ADD CONSTRAINT orders_total_small CHECK (total < 1000000) NOT VALID",
        "CREATE TABLE app.events (id int, at date, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)",
        "CREATE TABLE app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE INDEX events_what ON app.events (what)",
        // Needs the partitioned primary key, valid only once every partition's index is attached.
        "CREATE TABLE app.event_notes (event_id int, event_at date, note text,"
                + " FOREIGN KEY (event_id, event_at) REFERENCES app.events)",
        // Two tables referencing each other: their foreign keys lock both tables, in opposite orders.
        "CREATE TABLE app.left_side (id int PRIMARY KEY, right_id int)",
        "CREATE TABLE app.right_side (id int PRIMARY KEY, left_id int REFERENCES app.left_side)",
        "ALTER TABLE app.left_side ADD CONSTRAINT left_right FOREIGN KEY (right_id) REFERENCES app.right_side",
        "COMMENT ON CONSTRAINT left_right ON app.left_side IS 'the other way'",
        "CREATE TABLE app.slots (room int, during tsrange, EXCLUDE USING gist (during WITH &&))",
        "CREATE UNLOGGED TABLE app.scratch (k text)",
        "CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$",
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders FOR EACH ROW EXECUTE FUNCTION app.touch()",
        "CREATE RULE scratch_quiet AS ON DELETE TO app.scratch DO INSTEAD NOTHING",
        "ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY orders_positive ON app.orders USING (total >= 0)",
        "CREATE STATISTICS app.customers_stats ON mood, score FROM app.customers",
        "CREATE VIEW app.big_orders AS SELECT * FROM app.orders WHERE total > 100",
        // Populated while the table is still empty.
        "CREATE MATERIALIZED VIEW app.order_count AS SELECT count(*) AS n FROM app.orders",
        "COMMENT ON TABLE app.orders IS 'one per purchase'",
        "ALTER TABLE app.orders OWNER TO sluice_test_owner"
    };

    /** Sluice's DDL capture on the source: its function is in the schema never copied, so is the trigger. */
    private static final String[] SLUICE_EVENT_TRIGGER = {
        "CREATE SCHEMA sluice",
        "CREATE FUNCTION sluice.capture() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$",
        "CREATE EVENT TRIGGER sluice_capture ON ddl_command_end EXECUTE FUNCTION sluice.capture()"
    };

    private static final List<TableId> TABLES = List.of(
            new TableId("app", "customers"),
            new TableId("app", "orders"),
            new TableId("app", "events"),
            new TableId("app", "event_notes"),
            new TableId("app", "left_side"),
            new TableId("app", "right_side"),
            new TableId("app", "slots"),
            new TableId("app", "scratch"));

    @Test
    void targetGetsTheSourceSchemaAndRows() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            try {
                source.execute(SCHEMA);
                source.execute(SLUICE_EVENT_TRIGGER);
                source.execute(
                        "INSERT INTO app.customers (email, mood, score) SELECT 'c' || i, 'ok', i"
                                + " FROM generate_series(1, 100) i",
                        "INSERT INTO app.orders (customer_id, total) SELECT 1 + i % 100, i FROM generate_series(1, 500) i",
                        "INSERT INTO app.events VALUES (1, '2024-05-01', 'launch'), (2, '2025-05-01', 'again')",
                        "INSERT INTO app.event_notes VALUES (1, '2024-05-01', 'went well')",
                        "INSERT INTO app.left_side VALUES (1, NULL)",
                        "INSERT INTO app.right_side VALUES (1, 1)",
                        "UPDATE app.left_side SET right_id = 1");
                SchemaCopier schema = copier(source, target);
                SnapshotLedger ledger = SnapshotLedger.open(target.url(), "schema_test");
                SchemaCopier.PostDataResult result;
                try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "schema_test")) {
                    ledger.start(snapshot.consistentPoint());
                    schema.copyPreData(snapshot.name(), conn -> ledger.recordPreData(conn, snapshot.consistentPoint()));
                    new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()))
                            .copy(snapshot, TABLES);
                    result = schema.copyPostData(snapshot.name(), 3, ledger);
                } finally {
                    source.execute("SELECT pg_drop_replication_slot('schema_test')");
                }
                assertThat(ledger.preDataDone()).isTrue();
                assertThat(result.alreadyDone()).isZero();
                assertThat(result.skipped()).isEmpty();
                assertThat(result.created()).isEqualTo(ledger.finishedPostData().size());
                assertThat(indexes(target)).isEqualTo(indexes(source));
                assertThat(constraints(target)).isEqualTo(constraints(source));
                assertThat(target.queryForString("SELECT count(*) FROM pg_event_trigger"))
                        .isEqualTo("0");
                source.execute("DROP EVENT TRIGGER sluice_capture");
                assertThat(normalized(schema, target)).isEqualTo(normalized(schema, source));
                for (String table : List.of("app.customers", "app.orders", "app.events", "app.event_notes")) {
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
    void postDataStoppedByAFailureResumesWithTheObjectsItHadNotCreated() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            try {
                source.execute(SCHEMA);
                SchemaCopier schema = copier(source, target);
                SnapshotLedger ledger = SnapshotLedger.open(target.url(), "resume_test");
                ledger.start(Lsn.INVALID);
                schema.copyPreData(null, conn -> ledger.recordPreData(conn, Lsn.INVALID));
                // A trigger of the same name already on the target: the post-data trigger, created in
                // the last wave, fails after every index and key is built.
                target.execute("CREATE TRIGGER orders_touch AFTER INSERT ON app.orders"
                        + " FOR EACH ROW EXECUTE FUNCTION app.touch()");

                assertThatThrownBy(() -> schema.copyPostData(null, 2, ledger))
                        .isInstanceOf(SluiceException.class)
                        .hasMessageContaining("Creating TRIGGER app.orders orders_touch on the target " + target.url())
                        .hasMessageContaining("already exists")
                        .hasMessageContaining("(SQL: CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders");
                int firstRun = ledger.finishedPostData().size();
                assertThat(ledger.finishedPostData())
                        .contains(
                                "CONSTRAINT app orders orders_pkey",
                                "INDEX app orders_customer",
                                "INDEX ATTACH app events_2024_pkey",
                                "FK CONSTRAINT app event_notes event_notes_event_id_event_at_fkey",
                                "FK CONSTRAINT app left_side left_right",
                                "COMMENT app INDEX orders_customer")
                        .doesNotContain("TRIGGER app orders orders_touch", "POLICY app orders orders_positive");

                target.execute("DROP TRIGGER orders_touch ON app.orders");
                SchemaCopier.PostDataResult resumed = schema.copyPostData(null, 2, ledger);

                // Each object created before the failure would fail again with "already exists".
                assertThat(resumed.alreadyDone()).isEqualTo(firstRun);
                assertThat(resumed.created()).isPositive();
                assertThat(ledger.finishedPostData()).hasSize(firstRun + resumed.created());
                assertThat(indexes(target)).isEqualTo(indexes(source));
                assertThat(constraints(target)).isEqualTo(constraints(source));
                assertThat(normalized(schema, target)).isEqualTo(normalized(schema, source));

                SchemaCopier.PostDataResult again = schema.copyPostData(null, 2, ledger);
                assertThat(again.created()).isZero();
                assertThat(again.alreadyDone()).isEqualTo(firstRun + resumed.created());
            } finally {
                source.execute("DROP SCHEMA IF EXISTS app CASCADE", "DROP ROLE IF EXISTS sluice_test_owner");
            }
        }
    }

    @Test
    void tablesLeftOutByTheFilterAreNotCreatedAndKeysReferencingThemAreSkipped() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE SCHEMA app",
                    "CREATE TABLE app.customers (id int PRIMARY KEY)",
                    "CREATE TABLE app.audit_log (id serial PRIMARY KEY, what text)",
                    "CREATE INDEX audit_log_what ON app.audit_log (what)",
                    "CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int REFERENCES app.customers,"
                            + " audit_id int CONSTRAINT orders_audit_fk REFERENCES app.audit_log)",
                    "COMMENT ON CONSTRAINT orders_audit_fk ON app.orders IS 'which audit row'",
                    "CREATE TABLE app.audit_parts (at date, what text) PARTITION BY RANGE (at)",
                    "CREATE TABLE app.audit_parts_2024 PARTITION OF app.audit_parts"
                            + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                    "CREATE INDEX audit_parts_what ON app.audit_parts (what)",
                    "CREATE VIEW app.audit_view AS SELECT what FROM app.audit_log",
                    "CREATE VIEW app.audit_view_view AS SELECT * FROM app.audit_view",
                    "CREATE VIEW app.orders_view AS SELECT * FROM app.orders",
                    // Names pg_dump would read as patterns unless quoted: one kept, one left out.
                    "CREATE TABLE app.\"*\" (id int)",
                    "CREATE TABLE app.\"audit.*\" (id int)");
            SchemaCopier schema = SchemaCopier.create(null, source.url(), target.url(), major(source))
                    .forTables(TableFilter.of(List.of("app.*", "!app.audit*"))::includes, Set.of());
            SnapshotLedger ledger = SnapshotLedger.open(target.url(), "filter_test");
            ledger.start(Lsn.INVALID);

            schema.copyPreData(null, conn -> ledger.recordPreData(conn, Lsn.INVALID));
            SchemaCopier.PostDataResult result = schema.copyPostData(null, 2, ledger);

            assertThat(relations(target))
                    .containsExactlyInAnyOrder(
                            "*",
                            "customers",
                            "customers_pkey",
                            "orders",
                            "orders_pkey",
                            "orders_view",
                            // A sequence owned by a table left out stays, without its owner.
                            "audit_log_id_seq");
            assertThat(result.skipped())
                    .singleElement()
                    .satisfies(warning -> assertThat(warning)
                            .contains("orders_audit_fk")
                            .contains("app.orders")
                            .contains("app.audit_log"));
            assertThat(target.queryForList("SELECT conname FROM pg_constraint WHERE contype = 'f'"))
                    .containsExactly("orders_customer_id_fkey");
        }
    }

    @Test
    void keysReferencingSchemaOnlyTablesFromTablesWithRowsAreAddedNotValid() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE SCHEMA app",
                    "CREATE TABLE app.regions (id int PRIMARY KEY)",
                    "CREATE TABLE app.customers (id int PRIMARY KEY)",
                    "CREATE TABLE app.orders (id int PRIMARY KEY, customer_id int REFERENCES app.customers,"
                            + " region_id int REFERENCES app.regions)",
                    // Schema-only itself: no rows to check, so its key is validated as usual.
                    "CREATE TABLE app.customer_notes (customer_id int REFERENCES app.customers)",
                    "CREATE TABLE app.visits (customer_id int REFERENCES app.customers, at date)"
                            + " PARTITION BY RANGE (at)",
                    "CREATE TABLE app.visits_2024 PARTITION OF app.visits FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
                    "INSERT INTO app.regions VALUES (1)",
                    "INSERT INTO app.customers VALUES (7)",
                    "INSERT INTO app.orders VALUES (1, 7, 1)");
            Set<TableId> schemaOnly = Set.of(new TableId("app", "customers"), new TableId("app", "customer_notes"));
            SchemaCopier schema = copier(source, target).forTables(t -> true, schemaOnly);
            SnapshotLedger ledger = SnapshotLedger.open(target.url(), "schema_only_test");
            ledger.start(Lsn.INVALID);

            schema.copyPreData(null, conn -> ledger.recordPreData(conn, Lsn.INVALID));
            try (ExportedSnapshot snapshot = ExportedSnapshot.withoutSlot(source.url())) {
                new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()))
                        .copy(snapshot, List.of(new TableId("app", "regions"), new TableId("app", "orders")));
            }
            SchemaCopier.PostDataResult result = schema.copyPostData(null, 2, ledger);

            assertThat(target.queryForList("SELECT conname || ' ' || convalidated FROM pg_constraint"
                            + " WHERE contype = 'f' AND conname <> 'visits_customer_id_fkey' ORDER BY 1"))
                    .containsExactly(
                            "customer_notes_customer_id_fkey true",
                            "orders_customer_id_fkey false",
                            "orders_region_id_fkey true");
            if (target.server().majorVersion() < 18) {
                assertThat(result.skipped())
                        .singleElement()
                        .satisfies(warning -> assertThat(warning)
                                .contains("visits_customer_id_fkey")
                                .contains("partitioned table app.visits"));
            }
            assertThat(target.queryForString("SELECT count(*) FROM app.orders")).isEqualTo("1");
            assertThat(target.queryForString("SELECT count(*) FROM app.customers"))
                    .isEqualTo("0");
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

    private static int major(TestDatabase db) {
        return Integer.parseInt(db.queryForString("SHOW server_version_num")) / 10000;
    }

    private static SchemaCopier copier(TestDatabase source, TestDatabase target) {
        return SchemaCopier.create(null, source.url(), target.url(), major(source));
    }

    /** The app schema's indexes, with their definitions. */
    private static List<String> indexes(TestDatabase db) {
        return db.queryForList(
                "SELECT tablename || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'app' ORDER BY 1");
    }

    /** The app schema's constraints, with their definitions and whether they are validated. */
    private static List<String> constraints(TestDatabase db) {
        return db.queryForList("SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)"
                + " || ' ' || convalidated FROM pg_constraint WHERE connamespace = 'app'::regnamespace ORDER BY 1");
    }

    /** The app schema's relations of every kind. */
    private static List<String> relations(TestDatabase db) {
        return db.queryForList("SELECT relname FROM pg_class WHERE relnamespace = 'app'::regnamespace");
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
