package dev.sluice.pipeline.cli;

import static dev.sluice.pipeline.cli.CliErrorsTest.sluice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.cli.CliErrorsTest.Result;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `sluice snapshot` copies schema and rows once, with no slot; unlogged tables come with their rows,
 * schema-only tables without; a target holding tables where the copy goes is refused until
 * `--reset`, which drops only the schemas the copy fills; tables in other schemas are left alone.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SnapshotCommandTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE customers (id int PRIMARY KEY, email text UNIQUE)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, total numeric)",
        "CREATE TABLE events (id bigserial PRIMARY KEY, customer_id int REFERENCES customers, payload jsonb)",
        "CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text)",
        "CREATE TABLE skipped (id int PRIMARY KEY)",
        "CREATE TABLE quiet (id int PRIMARY KEY) WITH (autovacuum_enabled = false)",
        "INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 500) i",
        "INSERT INTO orders (customer_id, total) SELECT 1 + i % 500, i FROM generate_series(1, 3000) i",
        "INSERT INTO events (customer_id, payload) SELECT 1 + i % 500, '{}' FROM generate_series(1, 2000) i",
        "INSERT INTO cache SELECT 'k' || i, 'v' || i FROM generate_series(1, 100) i",
        "INSERT INTO skipped SELECT generate_series(1, 10)",
        "CREATE MATERIALIZED VIEW order_totals AS SELECT customer_id, sum(total) AS total FROM orders GROUP BY 1",
        "CREATE MATERIALIZED VIEW top_customers AS SELECT customer_id FROM order_totals ORDER BY total DESC LIMIT 10",
        "CREATE MATERIALIZED VIEW not_yet AS SELECT count(*) FROM orders WITH NO DATA"
    };

    @Test
    void copiesOnceWithoutSlotAndResetsOnlyWhatItFills() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(
                    "CREATE SCHEMA keep", "CREATE TABLE keep.notes (n text)", "CREATE TABLE public.stale (x int)");
            Map<String, String> env = Map.of(
                    "SLUICE_SOURCE_URL",
                    source.url().toUrlWithPassword(),
                    "SLUICE_TARGET_URL",
                    target.url().toUrlWithPassword(),
                    "SLUICE_SOURCE_TABLES",
                    "public.*, !skipped",
                    "SLUICE_SNAPSHOT_SCHEMA_ONLY_TABLES",
                    "events");

            Result refused = sluice(env, "snapshot");
            assertThat(refused.code()).as(refused.all()).isEqualTo(6);
            assertThat(refused.err())
                    .contains("already holds 1 table(s)")
                    .contains("public.stale")
                    .contains("--reset")
                    .doesNotContain("\tat ");

            Result copied = sluice(env, "snapshot", "--reset");
            assertThat(copied.code()).as(copied.all()).isZero();
            assertThat(copied.out()).contains("Copied.");
            for (String table : new String[] {"customers", "orders", "cache"}) {
                assertThat(target.tableChecksum(table)).as(table).isEqualTo(source.tableChecksum(table));
            }
            assertThat(target.queryForString("SELECT count(*) FROM events"))
                    .as("schema-only table has no rows")
                    .isEqualTo("0");
            assertThat(target.queryForString("SELECT relpersistence FROM pg_class WHERE relname = 'cache'"))
                    .isEqualTo("u");
            assertThat(target.queryForString("SELECT to_regclass('public.skipped') IS NULL"))
                    .as("excluded table not created")
                    .isEqualTo("t");
            assertThat(target.queryForString("SELECT to_regclass('public.stale') IS NULL"))
                    .as("--reset dropped the schema the copy fills")
                    .isEqualTo("t");
            assertThat(target.queryForString("SELECT to_regclass('keep.notes') IS NOT NULL"))
                    .as("--reset kept other schemas")
                    .isEqualTo("t");
            assertThat(target.queryForString("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                    .isEqualTo("2");
            assertThat(target.tableChecksum("order_totals"))
                    .as("materialized views are populated, those built on others too")
                    .isEqualTo(source.tableChecksum("order_totals"));
            assertThat(target.tableChecksum("top_customers")).isEqualTo(source.tableChecksum("top_customers"));
            assertThat(target.queryForString("SELECT relispopulated FROM pg_class WHERE relname = 'not_yet'"))
                    .as("one left empty on the source stays empty")
                    .isEqualTo("f");
            assertThat(source.queryForString("SELECT count(*) FROM pg_replication_slots"))
                    .as("a one-off copy leaves no slot behind")
                    .isEqualTo("0");
            assertThat(source.queryForString("SELECT count(*) FROM pg_publication"))
                    .as("nor a publication: it changes nothing on the source")
                    .isEqualTo("0");

            assertThat(target.queryForString("SELECT count(*) FROM pg_class WHERE relname IN ('customers', 'orders',"
                            + " 'cache') AND reloptions IS NOT NULL"))
                    .as("autovacuum, kept off the tables while they were filled, is back")
                    .isEqualTo("0");
            assertThat(target.queryForString("SELECT reloptions::text FROM pg_class WHERE relname = 'quiet'"))
                    .as("a table the source keeps from autovacuum stays so")
                    .isEqualTo("{autovacuum_enabled=false}");
            Result again = sluice(env, "snapshot");
            assertThat(again.code())
                    .as("running again finds the copy done: " + again.all())
                    .isZero();
            assertThat(target.tableChecksum("orders")).isEqualTo(source.tableChecksum("orders"));

            Result run = sluice(env, "run");
            assertThat(run.code()).as(run.all()).isEqualTo(6);
            assertThat(run.err()).contains("made by `sluice snapshot`").contains("--reset");
        }
    }
}
