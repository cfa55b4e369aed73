package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.snapshot.SchemaCopier;
import dev.sluice.snapshot.SnapshotCopier;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.AfterParameterizedClassInvocation;
import org.junit.jupiter.params.BeforeParameterizedClassInvocation;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A write workload runs on the source before the snapshot starts, for the whole of it, and for a
 * while after it; then, once streaming has caught up, the target holds the source's rows, table by
 * table, and the source's schema, as {@code pg_dump --schema-only} prints it.
 *
 * <p>The scenario runs once per server version (before the tests of that version); each test
 * checks one property of its outcome, so that a failure of one (unlogged rows, sequence values) fails
 * on its own and does not hide the rest. It runs for the server versions this machine has a
 * pg_dump for (see {@link #versions()}), since a full snapshot needs one.
 *
 * <p>The source exercises what a snapshot must carry: a table large enough to be copied in page
 * ranges, foreign keys (with cascades, one deferrable), secondary, partial, expression and GIN
 * indexes, unique, check and exclusion constraints, a two-level partitioned table with default
 * partitions and a partition attached with its own column order, plain inheritance, stored
 * generated, identity and serial columns, a dropped column and one added with a default, values
 * stored out of line, an enum, a domain, views and materialized views, functions and triggers
 * (which must not fire again on the target), row level security, names that need quoting, an
 * empty table, a table without a primary key, one identified by a unique index, an unlogged table
 * and comments. The workload's
 * transactions touch all of them but the unlogged table, with subtransactions, rollbacks, and
 * some transactions held open a while; one transaction larger than the sink's batches commits
 * while the copy runs.
 */
@ParameterizedClass(name = "PostgreSQL {0}")
@MethodSource("versions")
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SnapshotUnderLoadTest {

    private static final Logger log = LoggerFactory.getLogger(SnapshotUnderLoadTest.class);

    /**
     * The server versions this machine can take a full snapshot of: those with a pg_dump at least
     * as new (Debian bookworm ships pg_dump 15 only; zonky's binaries bring servers without one).
     */
    static Stream<Integer> versions() {
        return TestPostgres.versions().stream().filter(major -> {
            try {
                // Only looks for a pg_dump: nothing connects to this URL.
                PgUrl unused = PgUrl.of("localhost", 5432, "postgres", null, null);
                SchemaCopier.create(null, unused, unused, major);
                return true;
            } catch (SluiceException e) {
                log.warn("Not testing PostgreSQL {}: {}", major, e.getMessage());
                return false;
            }
        });
    }

    private static final int CUSTOMERS = 5_000;
    private static final int PRODUCTS = 400;
    /**
     * Orders, at one row per page (fillfactor 10, 900-byte notes): more than twice {@link
     * SnapshotCopier.Config#DEFAULT_SPLIT_PAGES} pages, so the copy splits the table into page ranges.
     * The split size is not a setting of `run`, so the table is sized for the default.
     */
    private static final int ORDERS = 34_000;

    private static final int SHIPMENTS = 20_000;
    private static final int WRITERS = 2;

    private static final String[] SCHEMA = {
        "CREATE SCHEMA shop",
        "COMMENT ON SCHEMA shop IS 'the web shop'",
        "CREATE TYPE shop.status AS ENUM ('new', 'paid', 'shipped', 'cancelled')",
        "COMMENT ON TYPE shop.status IS 'where an order stands'",
        "CREATE DOMAIN shop.email AS text CONSTRAINT email_has_at CHECK (VALUE LIKE '%_@_%')",
        "CREATE SEQUENCE shop.invoice_seq START 1000 INCREMENT 10",
        "CREATE TABLE shop.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
                + " email shop.email NOT NULL UNIQUE, legacy_code text, name text NOT NULL,"
                + " name_upper text GENERATED ALWAYS AS (upper(name)) STORED, updated_at timestamptz)",
        "COMMENT ON COLUMN shop.customers.email IS 'unique per customer'",
        "CREATE UNIQUE INDEX customers_lower_email ON shop.customers (lower(email))",
        "CREATE TABLE shop.products (id serial PRIMARY KEY, sku text NOT NULL,"
                + " price numeric(10, 2) NOT NULL CHECK (price >= 0),"
                + " stock int NOT NULL DEFAULT 0 CONSTRAINT stock_not_negative CHECK (stock >= 0),"
                + " description text, CONSTRAINT products_sku_key UNIQUE (sku))",
        "CREATE TABLE shop.orders (id bigserial PRIMARY KEY,"
                + " customer_id bigint NOT NULL REFERENCES shop.customers ON DELETE CASCADE,"
                + " invoice_no bigint NOT NULL DEFAULT nextval('shop.invoice_seq') UNIQUE,"
                + " status shop.status NOT NULL DEFAULT 'new', total numeric(12, 2) NOT NULL DEFAULT 0,"
                + " meta jsonb, note text, updated_at timestamptz) WITH (fillfactor = 10)",
        "ALTER SEQUENCE shop.invoice_seq OWNED BY shop.orders.invoice_no",
        "COMMENT ON TABLE shop.orders IS 'one per purchase'",
        "CREATE INDEX orders_by_customer ON shop.orders (customer_id)",
        "CREATE INDEX orders_open ON shop.orders (status) WHERE status IN ('new', 'paid')",
        "CREATE INDEX orders_meta ON shop.orders USING gin (meta)",
        "CREATE TABLE shop.order_lines (order_id bigint REFERENCES shop.orders ON DELETE CASCADE,"
                + " line int CHECK (line > 0),"
                + " product_id int NOT NULL REFERENCES shop.products ON UPDATE CASCADE,"
                + " qty int NOT NULL CHECK (qty > 0), unit_price numeric(10, 2) NOT NULL,"
                + " amount numeric(12, 2) GENERATED ALWAYS AS (qty * unit_price) STORED,"
                + " PRIMARY KEY (order_id, line))",
        "CREATE INDEX order_lines_by_product ON shop.order_lines (product_id)",
        // Two levels of partitions, each with a default partition; rows move between them.
        "CREATE TABLE shop.shipments (id bigserial, region text NOT NULL,"
                + " order_id bigint NOT NULL REFERENCES shop.orders ON DELETE CASCADE,"
                + " shipped_on date NOT NULL CHECK (shipped_on >= DATE '2020-01-01'), weight_g int,"
                + " PRIMARY KEY (id, region, shipped_on)) PARTITION BY LIST (region)",
        "CREATE INDEX shipments_by_order ON shop.shipments (order_id)",
        // Attached rather than created as a partition: other column order, and a dropped column.
        "CREATE TABLE shop.shipments_eu (weight_g int, legacy text, shipped_on date NOT NULL,"
                + " order_id bigint NOT NULL, region text NOT NULL, id bigint NOT NULL,"
                + " CONSTRAINT shipments_shipped_on_check CHECK (shipped_on >= DATE '2020-01-01'))",
        "ALTER TABLE shop.shipments_eu DROP COLUMN legacy",
        "ALTER TABLE shop.shipments ATTACH PARTITION shop.shipments_eu FOR VALUES IN ('eu')",
        "CREATE TABLE shop.shipments_us PARTITION OF shop.shipments FOR VALUES IN ('us')"
                + " PARTITION BY RANGE (shipped_on)",
        "CREATE TABLE shop.shipments_us_2024 PARTITION OF shop.shipments_us"
                + " FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        "CREATE TABLE shop.shipments_us_2025 PARTITION OF shop.shipments_us"
                + " FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')",
        "CREATE TABLE shop.shipments_us_other PARTITION OF shop.shipments_us DEFAULT",
        "CREATE TABLE shop.shipments_other PARTITION OF shop.shipments DEFAULT",
        // No primary key: streams with its full row as identity, holds duplicate rows, a dropped column,
        // and columns of types without an equality operator (json, point).
        "CREATE TABLE shop.page_views (customer_id bigint, legacy int, path text NOT NULL, n int NOT NULL DEFAULT 1,"
                + " seq bigint GENERATED BY DEFAULT AS IDENTITY, agent json, where_from point,"
                + " path_len int GENERATED ALWAYS AS (length(path)) STORED)",
        "ALTER TABLE shop.page_views REPLICA IDENTITY FULL",
        "CREATE INDEX page_views_by_customer ON shop.page_views (customer_id)",
        // Identified by a unique index rather than a primary key.
        "CREATE TABLE shop.coupons (code text NOT NULL, discount int NOT NULL, uses int NOT NULL DEFAULT 0)",
        "CREATE UNIQUE INDEX coupons_code ON shop.coupons (code)",
        "ALTER TABLE shop.coupons REPLICA IDENTITY USING INDEX coupons_code",
        // Names that need quoting.
        "CREATE TABLE shop.\"Gift Cards\" (\"Code\" text PRIMARY KEY, \"from\" text,"
                + " balance numeric(10, 2) NOT NULL CHECK (balance >= 0))",
        // Empty when the snapshot is taken; rows arrive by streaming only.
        "CREATE TABLE shop.refunds (id int GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
                + " order_id bigint NOT NULL REFERENCES shop.orders ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,"
                + " amount numeric(12, 2) NOT NULL CHECK (amount > 0), reason text)",
        "ALTER TABLE shop.refunds ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY refunds_small ON shop.refunds USING (amount < 1000)",
        // Plain inheritance: the parent's own rows, and the child's.
        "CREATE TABLE shop.notes (id int PRIMARY KEY, body text NOT NULL)",
        "CREATE TABLE shop.order_notes (order_id bigint NOT NULL) INHERITS (shop.notes)",
        "ALTER TABLE shop.order_notes ADD PRIMARY KEY (id)",
        // An exclusion constraint, built after the rows like the other constraints.
        "CREATE TABLE shop.promotions (id int PRIMARY KEY, during tstzrange NOT NULL,"
                + " EXCLUDE USING gist (during WITH &&))",
        // Keeps the copy running for a few seconds on any machine, so that the workload demonstrably
        // commits while rows are being copied: the check sleeps for each row the copy writes on the
        // target, and never for other sessions.
        "CREATE FUNCTION shop.copy_pace() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN"
                + " IF current_setting('application_name') = 'sluice-copy' THEN PERFORM pg_sleep(0.001); END IF;"
                + " RETURN true; END $$",
        "CREATE TABLE shop.paced (id int PRIMARY KEY, CONSTRAINT paced_copy CHECK (shop.copy_pace()))",
        // Unlogged: cannot be published, so its rows can come from the snapshot only. Never written below.
        "CREATE UNLOGGED TABLE shop.sessions (token uuid PRIMARY KEY, customer_id bigint NOT NULL,"
                + " expires_at timestamptz NOT NULL)",
        "CREATE VIEW shop.open_orders AS SELECT o.id, c.email, o.status, o.total FROM shop.orders o"
                + " JOIN shop.customers c ON c.id = o.customer_id WHERE o.status IN ('new', 'paid')",
        "COMMENT ON VIEW shop.open_orders IS 'orders not yet shipped'",
        // Populated on the source (refreshed after the load below), and never populated.
        "CREATE MATERIALIZED VIEW shop.orders_by_status AS SELECT status, count(*) AS orders FROM shop.orders"
                + " GROUP BY status",
        "CREATE UNIQUE INDEX orders_by_status_key ON shop.orders_by_status (status)",
        "CREATE MATERIALIZED VIEW shop.big_customers AS SELECT customer_id, sum(total) AS total FROM shop.orders"
                + " GROUP BY customer_id HAVING sum(total) > 10000 WITH NO DATA",
        // Triggers that change rows: fired again on the target, they would make it differ.
        "CREATE FUNCTION shop.touch() RETURNS trigger LANGUAGE plpgsql AS"
                + " $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$",
        "COMMENT ON FUNCTION shop.touch() IS 'stamps updated_at'",
        "CREATE FUNCTION shop.take_stock() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                + " UPDATE shop.products SET stock = stock - NEW.qty WHERE id = NEW.product_id; RETURN NULL; END $$",
        Replication.MARKER_DDL
    };

    private static final String[] DATA = {
        "INSERT INTO shop.customers (email, name, legacy_code) SELECT 'c' || i || '@example.com', 'customer ' || i,"
                + " 'L' || i FROM generate_series(1, " + CUSTOMERS + ") i",
        // Descriptions are stored out of line (TOAST); updates that leave them alone do not send them.
        "INSERT INTO shop.products (sku, price, stock, description) SELECT 'sku-' || i, i % 97 + 0.99, 1000000000,"
                + " (SELECT string_agg(md5(i::text || j), '') FROM generate_series(1, 300) j)"
                + " FROM generate_series(1, " + PRODUCTS + ") i",
        "INSERT INTO shop.orders (customer_id, status, total, meta, note) SELECT 1 + i % " + CUSTOMERS + ","
                + " (ARRAY['new', 'paid', 'shipped', 'cancelled'])[1 + i % 4]::shop.status, i % 1000 + 0.5,"
                + " jsonb_build_object('channel', CASE WHEN i % 3 = 0 THEN 'web' ELSE 'app' END, 'i', i),"
                + " repeat(md5(i::text), 28) FROM generate_series(1, " + ORDERS + ") i",
        "INSERT INTO shop.order_lines (order_id, line, product_id, qty, unit_price)"
                + " SELECT o, l, 1 + (o * 7 + l) % " + PRODUCTS + ", 1 + (o + l) % 5, (o + l) % 97 + 0.99"
                + " FROM generate_series(1, 10000) o, generate_series(1, 2) l",
        "INSERT INTO shop.shipments (region, order_id, shipped_on, weight_g)"
                + " SELECT (ARRAY['eu', 'us', 'apac', 'latam'])[1 + i % 4], i, DATE '2023-06-01' + i % 900, i % 5000"
                + " FROM generate_series(1, " + SHIPMENTS + ") i",
        "INSERT INTO shop.page_views (customer_id, legacy, path, agent, where_from) SELECT 1 + i % " + CUSTOMERS
                + ", i,"
                + " '/p/' || i % 50, json_build_object('ua', 'browser ' || i % 7), point(i % 10, i % 3)"
                + " FROM generate_series(1, 3000) i",
        "INSERT INTO shop.page_views (customer_id, path, seq) SELECT 1 + i % 200, '/dup', 0"
                + " FROM generate_series(1, 400) i",
        "INSERT INTO shop.paced SELECT generate_series(1, 2500)",
        "INSERT INTO shop.\"Gift Cards\" SELECT 'g' || i, 'from ' || i, i % 100 FROM generate_series(1, 1000) i",
        "INSERT INTO shop.sessions SELECT gen_random_uuid(), 1 + i % " + CUSTOMERS + ", now() + interval '1 day'"
                + " FROM generate_series(1, 1000) i",
        // A dropped column, and a column added with a default that older rows do not store.
        "ALTER TABLE shop.customers DROP COLUMN legacy_code",
        "ALTER TABLE shop.page_views DROP COLUMN legacy",
        "INSERT INTO shop.coupons SELECT 'C' || i, i % 50, 0 FROM generate_series(1, 1000) i",
        "ALTER TABLE shop.products ADD COLUMN active boolean NOT NULL DEFAULT true",
        // Created after the bulk load, which they would only slow down.
        "CREATE TRIGGER orders_touch BEFORE UPDATE ON shop.orders FOR EACH ROW EXECUTE FUNCTION shop.touch()",
        "CREATE TRIGGER customers_touch BEFORE UPDATE ON shop.customers FOR EACH ROW EXECUTE FUNCTION shop.touch()",
        "CREATE TRIGGER order_lines_stock AFTER INSERT ON shop.order_lines FOR EACH ROW"
                + " EXECUTE FUNCTION shop.take_stock()",
        "INSERT INTO shop.notes SELECT i, 'note ' || i FROM generate_series(1, 500) i",
        "INSERT INTO shop.order_notes SELECT i, 'order note ' || i, i FROM generate_series(501, 1000) i",
        "INSERT INTO shop.promotions SELECT i, tstzrange(TIMESTAMPTZ '2024-01-01' + i * interval '1 day',"
                + " TIMESTAMPTZ '2024-01-01' + (i + 1) * interval '1 day') FROM generate_series(1, 100) i",
        "REFRESH MATERIALIZED VIEW shop.orders_by_status",
        // The copy plans its page ranges from the statistics.
        "ANALYZE"
    };

    /** Ordinary and partitioned tables of the user's schemas, with whether each is logged. */
    private static final String TABLES = "SELECT format('%I.%I', n.nspname, c.relname), c.relpersistence = 'p'"
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'sluice')"
            + " AND n.nspname NOT LIKE 'pg\\_%' ORDER BY 1";

    @Parameter
    int major;

    /** The outcome of this version's scenario, read by the tests. */
    private static Outcome outcome;

    @BeforeParameterizedClassInvocation
    static void runScenario(int major) throws Exception {
        PgUrl unused = PgUrl.of("localhost", 5432, "postgres", null, null);
        Path pgDump = SchemaCopier.create(null, unused, unused, major).pgDump();
        outcome = Outcome.of(major, pgDump);
    }

    @AfterParameterizedClassInvocation
    static void dropDatabases() {
        if (outcome != null) {
            outcome.close();
            outcome = null;
        }
    }

    @Test
    void workloadWroteBeforeDuringAndAfterTheSnapshot() {
        assertThat(outcome.splitTablePages)
                .as("pages of shop.orders: it must be split into page ranges by the copy")
                .isGreaterThan(2 * SnapshotCopier.Config.DEFAULT_SPLIT_PAGES);
        assertThat(outcome.commitsBeforeStart)
                .as("transactions committed before the pipeline started")
                .isPositive();
        assertThat(outcome.commitsDuringSnapshot)
                .as(
                        "transactions committed after the slot's consistent point (at most %s) and before the"
                                + " snapshot was recorded on the target",
                        outcome.consistentPointAtMost)
                .isPositive();
        assertThat(outcome.commitsDuringCopy)
                .as("of those, transactions committed while the copy's COPY statements ran on the source")
                .isPositive();
        assertThat(outcome.bulkCommitted)
                .as("a transaction larger than the sink's batches committed while the copy ran")
                .isTrue();
        assertThat(outcome.commitsAfterSnapshot)
                .as("transactions committed after the snapshot was recorded")
                .isPositive();
    }

    @Test
    void everyLoggedTableHoldsTheSourceRows() {
        SoftAssertions softly = new SoftAssertions();
        Map<String, Boolean> sourceTables = tables(outcome.source);
        softly.assertThat(tables(outcome.target)).as("tables on the target").isEqualTo(sourceTables);
        sourceTables.forEach((table, logged) -> {
            if (logged) {
                assertSameRows(softly, table);
            }
        });
        // Rows reached each kind of table, so the comparisons above compare something.
        softly.assertThat(count(outcome.target, "shop.refunds"))
                .as("rows streamed into a table that was empty at the snapshot")
                .isPositive();
        for (String partition : List.of(
                "shop.shipments_eu",
                "shop.shipments_us_2024",
                "shop.shipments_us_2025",
                "shop.shipments_us_other",
                "shop.shipments_other")) {
            softly.assertThat(count(outcome.target, partition))
                    .as("rows in %s", partition)
                    .isPositive();
        }
        softly.assertThat(outcome.missingRows)
                .as("updates and deletes that found no row on the target (a gap between copy and stream)")
                .isZero();
        softly.assertAll();
    }

    @Test
    void targetHasTheSourceSchema() {
        List<String> source = SchemaDump.of(outcome.pgDump, outcome.source);
        List<String> target = SchemaDump.of(outcome.pgDump, outcome.target);
        assertThat(source).as("normalized schema of the source").contains("CREATE TABLE shop.orders (");
        assertThat(target)
                .as("normalized pg_dump --schema-only of the target, PostgreSQL %s", major)
                .containsExactlyElementsOf(source);
    }

    /**
     * A materialized view the source has populated can be read on the target too; one never populated
     * stays so. Their rows are not compared: they are as of each side's last refresh.
     */
    @Test
    void materializedViewsArePopulatedWhereTheSourceHasThem() {
        String sql = "SELECT format('%I.%I', schemaname, matviewname), ispopulated::text FROM pg_matviews ORDER BY 1";
        Map<String, String> source = strings(outcome.source, sql);
        assertThat(source)
                .as("materialized views on the source")
                .containsEntry("shop.orders_by_status", "true")
                .containsEntry("shop.big_customers", "false");
        assertThat(strings(outcome.target, sql))
                .as("materialized views on the target, and whether each is populated")
                .isEqualTo(source);
    }

    /** Unlogged tables cannot be streamed, but the snapshot copies their rows. */
    @Test
    void unloggedTablesHoldTheSourceRowsAsOfTheSnapshot() {
        SoftAssertions softly = new SoftAssertions();
        tables(outcome.source).forEach((table, logged) -> {
            if (!logged) {
                // The workload never writes them, so the source still holds the snapshot's rows.
                assertSameRows(softly, table);
            }
        });
        softly.assertThat(count(outcome.source, "shop.sessions")).isEqualTo(1000);
        softly.assertAll();
    }

    /**
     * Sequences follow the source (pgoutput carries none of their changes), so a row inserted on
     * the target does not collide with the copied or streamed ones.
     */
    @Test
    void sequencesContinueAtOrAboveTheSource() {
        // The value nextval would return, without calling it. Every sequence here ascends.
        String next = "SELECT schemaname || '.' || sequencename,"
                + " coalesce(last_value + increment_by, start_value) FROM pg_sequences"
                + " WHERE schemaname <> 'sluice' ORDER BY 1";
        Map<String, Long> source = longs(outcome.source, next);
        Map<String, Long> target = longs(outcome.target, next);
        assertThat(source).as("sequences on the source").hasSize(7);
        assertThat(target.keySet()).as("sequences on the target").isEqualTo(source.keySet());
        SoftAssertions softly = new SoftAssertions();
        source.forEach((sequence, value) -> softly.assertThat(target.get(sequence))
                .as("next value of %s on the target (source: %s)", sequence, value)
                .isGreaterThanOrEqualTo(value));
        softly.assertAll();
    }

    /** Compares a table's rows by checksum; on a difference, names a few rows only one side has. */
    private static void assertSameRows(SoftAssertions softly, String table) {
        String expected = outcome.source.tableChecksum(table);
        String actual = outcome.target.tableChecksum(table);
        if (expected.equals(actual)) {
            return;
        }
        List<String> sourceRows = rows(outcome.source, table);
        List<String> targetRows = rows(outcome.target, table);
        List<String> onlySource = minus(sourceRows, targetRows);
        List<String> onlyTarget = minus(targetRows, sourceRows);
        softly.fail(
                "%s differs: source has %s rows, target %s; only on the source (%s): %s; only on the target (%s): %s",
                table,
                sourceRows.size(),
                targetRows.size(),
                onlySource.size(),
                onlySource.subList(0, Math.min(5, onlySource.size())),
                onlyTarget.size(),
                onlyTarget.subList(0, Math.min(5, onlyTarget.size())));
    }

    private static List<String> rows(TestDatabase db, String table) {
        return db.queryForList("SELECT t::text FROM " + table + " t");
    }

    /** {@code a} without {@code b}, as multisets: a duplicate row counts once per copy. */
    private static List<String> minus(List<String> a, List<String> b) {
        Map<String, Integer> left = new HashMap<>();
        b.forEach(row -> left.merge(row, 1, Integer::sum));
        List<String> rest = new ArrayList<>();
        for (String row : a) {
            if (left.getOrDefault(row, 0) > 0) {
                left.merge(row, -1, Integer::sum);
            } else {
                rest.add(row);
            }
        }
        return rest;
    }

    private static long count(TestDatabase db, String table) {
        return Long.parseLong(db.queryForString("SELECT count(*) FROM " + table));
    }

    private static Map<String, Boolean> tables(TestDatabase db) {
        Map<String, Boolean> tables = new TreeMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(TABLES)) {
            while (rs.next()) {
                tables.put(rs.getString(1), rs.getBoolean(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return tables;
    }

    private static Map<String, String> strings(TestDatabase db, String sql) {
        Map<String, String> values = new TreeMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                values.put(rs.getString(1), rs.getString(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return values;
    }

    private static Map<String, Long> longs(TestDatabase db, String sql) {
        Map<String, Long> values = new TreeMap<>();
        try (Connection c = db.connect();
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                values.put(rs.getString(1), rs.getLong(2));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return values;
    }

    /** A transaction the workload committed: a lower bound of its commit LSN, and when the commit returned. */
    private record Commit(Lsn lsnAtLeast, long nanos) {}

    /**
     * The scenario: source schema and rows, the workload started, a pipeline with a full snapshot
     * onto an empty target started under it, the workload stopped a while after the snapshot was
     * recorded, and the pipeline stopped once caught up. The databases stay until {@link #close}.
     */
    private static final class Outcome implements AutoCloseable {

        final Path pgDump;
        final TestDatabase source;
        final TestDatabase target;
        final Replication replication;
        long splitTablePages;
        long commitsBeforeStart;
        long commitsDuringSnapshot;
        long commitsDuringCopy;
        boolean bulkCommitted;
        long commitsAfterSnapshot;
        long missingRows;
        Lsn consistentPointAtMost;

        private Outcome(Path pgDump, TestDatabase source, TestDatabase target) {
            this.pgDump = pgDump;
            this.source = source;
            this.target = target;
            this.replication = new Replication(source, target);
        }

        static Outcome of(int major, Path pgDump) throws Exception {
            Outcome outcome = new Outcome(
                    pgDump,
                    TestPostgres.server(major).createDatabase(),
                    TestPostgres.server(major).createDatabase());
            try {
                outcome.run();
                return outcome;
            } catch (Throwable t) {
                try {
                    outcome.close();
                } catch (Throwable suppressed) {
                    t.addSuppressed(suppressed);
                }
                throw t;
            }
        }

        private void run() throws Exception {
            long begin = System.nanoTime();
            source.execute(SCHEMA);
            source.execute(DATA);
            log.info("Source loaded in {} ms", (System.nanoTime() - begin) / 1_000_000);
            splitTablePages = Long.parseLong(
                    source.queryForString("SELECT relpages FROM pg_class WHERE oid = 'shop.orders'::regclass"));

            AtomicBoolean snapshotDone = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Writer> writers = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < WRITERS; w++) {
                Writer writer = new Writer(w, source, snapshotDone, stop, failure);
                writers.add(writer);
                threads.add(new Thread(writer, "workload-" + w));
            }
            threads.forEach(Thread::start);
            try {
                // The workload is under way before the snapshot starts.
                awaitCommits(writers, 50, failure);
                long started = System.nanoTime();
                replication.start(
                        Map.of(Setting.SNAPSHOT_MODE, "full", Setting.SOURCE_SEQUENCE_SYNC_INTERVAL, "200ms"));

                // Watches the copy's COPY statements on the source, and polls the target for the
                // snapshot's position, which is written once the snapshot is done.
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                long copySeenFirst = Long.MAX_VALUE;
                long copySeenLast = Long.MIN_VALUE;
                long lastMiss = started;
                String recorded = null;
                while (recorded == null) {
                    throwIfFailed(failure);
                    replication.rethrow();
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("the snapshot was not recorded on the target within 2 minutes");
                    }
                    long before = System.nanoTime();
                    if (copying()) {
                        // The copy ran at some instant between these two readings of the clock.
                        copySeenFirst = Math.min(copySeenFirst, System.nanoTime());
                        copySeenLast = before;
                        if (!bulkCommitted) {
                            bulkTransaction();
                            bulkCommitted = true;
                        }
                    }
                    before = System.nanoTime();
                    recorded = recordedPosition();
                    if (recorded == null) {
                        lastMiss = before;
                        Thread.sleep(20);
                    }
                }
                long done = System.nanoTime();
                snapshotDone.set(true);
                // A streamed position may already have replaced the snapshot's: an upper bound, then.
                consistentPointAtMost = Lsn.parse(recorded);

                // Writes go on for a while after the snapshot, then stop.
                long after = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < after) {
                    throwIfFailed(failure);
                    Thread.sleep(50);
                }
                stop.set(true);
                for (Thread t : threads) {
                    t.join(Duration.ofSeconds(30));
                    assertThat(t.isAlive()).as("%s stopped", t.getName()).isFalse();
                }
                throwIfFailed(failure);

                for (Writer writer : writers) {
                    for (Commit c : writer.commits) {
                        // After the consistent point (so streamed, not copied), and before a poll that did not
                        // yet see the snapshot recorded: while the snapshot ran.
                        boolean duringSnapshot = c.lsnAtLeast().isAfter(consistentPointAtMost) && c.nanos() < lastMiss;
                        if (c.nanos() < started) {
                            commitsBeforeStart++;
                        } else if (duringSnapshot) {
                            commitsDuringSnapshot++;
                            if (c.nanos() > copySeenFirst && c.nanos() < copySeenLast) {
                                commitsDuringCopy++;
                            }
                        } else if (c.nanos() > done) {
                            commitsAfterSnapshot++;
                        }
                    }
                }
                log.info(
                        "Workload: {} transactions committed ({} before the pipeline started, {} during the"
                                + " snapshot of which {} during its copy, {} after it), {} rolled back on purpose,"
                                + " {} lost to deadlocks",
                        writers.stream().mapToLong(w -> w.commits.size()).sum(),
                        commitsBeforeStart,
                        commitsDuringSnapshot,
                        commitsDuringCopy,
                        commitsAfterSnapshot,
                        writers.stream().mapToLong(w -> w.rolledBack).sum(),
                        writers.stream().mapToLong(w -> w.conflicts).sum());

                replication.awaitCaughtUp(Duration.ofMinutes(2));
                awaitSequencesInStep(Duration.ofSeconds(30));
                missingRows = replication.pipeline().sinkStats().missingRows.get();
                replication.stop();
            } finally {
                stop.set(true);
                for (Thread t : threads) {
                    t.join(Duration.ofSeconds(30));
                }
            }
        }

        /** Waits, within a bound, until every target sequence has reached its source's value. */
        private void awaitSequencesInStep(Duration timeout) throws InterruptedException {
            String next = "SELECT schemaname || '.' || sequencename, coalesce(last_value, 0) FROM pg_sequences"
                    + " WHERE schemaname <> 'sluice'";
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                Map<String, Long> source = longs(this.source, next);
                Map<String, Long> target = longs(this.target, next);
                if (source.entrySet().stream()
                        .allMatch(e -> target.getOrDefault(e.getKey(), Long.MIN_VALUE) >= e.getValue())) {
                    return;
                }
                replication.rethrow();
                Thread.sleep(100);
            }
            // The sequence test names what differs.
        }

        /**
         * One transaction larger than the sink's batch and group (10,000 and 50,000 rows by default),
         * committed once the copy has started, so after the consistent point: it must be streamed.
         */
        private void bulkTransaction() throws SQLException {
            try (Connection c = source.connect();
                    Statement st = c.createStatement()) {
                c.setAutoCommit(false);
                st.execute("INSERT INTO shop.notes SELECT i, 'bulk ' || i FROM generate_series(100001, 160000) i");
                // Only its own rows, which no writer touches: it cannot deadlock with them.
                st.execute("UPDATE shop.notes SET body = body || ' (bulk)' WHERE id > 150000");
                st.execute("DELETE FROM shop.notes WHERE id BETWEEN 100001 AND 100100");
                c.commit();
            }
        }

        /** Whether a copy worker is reading rows on the source right now. */
        private boolean copying() {
            return !source.queryForString("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                            + " AND state = 'active' AND query LIKE 'COPY (SELECT %'")
                    .equals("0");
        }

        /** The pipeline's position on the target, or null before the snapshot recorded it. */
        private String recordedPosition() {
            if (target.queryForString("SELECT to_regclass('sluice.progress')") == null) {
                return null;
            }
            return target.queryForString("SELECT end_lsn::text FROM sluice.progress WHERE pipeline = 'sluice'");
        }

        private static void awaitCommits(List<Writer> writers, int each, AtomicReference<Throwable> failure)
                throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (writers.stream().anyMatch(w -> w.committed() < each)) {
                throwIfFailed(failure);
                if (System.nanoTime() > deadline) {
                    throw new AssertionError(
                            "the workload did not commit " + each + " transactions per writer in 1 min");
                }
                Thread.sleep(20);
            }
        }

        private static void throwIfFailed(AtomicReference<Throwable> failure) {
            Throwable t = failure.get();
            if (t != null) {
                throw new AssertionError("workload failed: " + t, t);
            }
        }

        @Override
        public void close() {
            try {
                replication.close();
            } finally {
                try {
                    target.close();
                } finally {
                    source.close();
                }
            }
        }
    }

    /**
     * One thread of the workload: multi-statement transactions of inserts, updates and deletes over
     * every logged table. Writers keep to rows of their own parity (customer, product, shipment ids)
     * where they can; cascades still cross, so a transaction lost to a deadlock is rolled back and
     * counted, never retried.
     */
    private static final class Writer implements Runnable {

        private final int id;
        private final TestDatabase source;
        private final AtomicBoolean snapshotDone;
        private final AtomicBoolean stop;
        private final AtomicReference<Throwable> failure;
        private final Random random;
        /** Read by the test thread only after this writer's thread ended. */
        final List<Commit> commits = new ArrayList<>();

        private final AtomicInteger committed = new AtomicInteger();
        long rolledBack;
        long conflicts;
        private final List<Integer> products = new ArrayList<>();
        private final Deque<Long> liveCustomers = new ArrayDeque<>();
        private final List<Long> liveOrders = new ArrayList<>();

        Writer(
                int id,
                TestDatabase source,
                AtomicBoolean snapshotDone,
                AtomicBoolean stop,
                AtomicReference<Throwable> failure) {
            this.id = id;
            this.source = source;
            this.snapshotDone = snapshotDone;
            this.stop = stop;
            this.failure = failure;
            this.random = new Random(id);
            for (int p = 1; p <= PRODUCTS; p++) {
                if (p % WRITERS == id) {
                    products.add(p);
                }
            }
        }

        int committed() {
            return committed.get();
        }

        @Override
        public void run() {
            try (Connection c = source.connect()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    for (int i = 0; !stop.get(); i++) {
                        try {
                            if (transaction(st, i)) {
                                Lsn lsn = Lsn.parse(string(st, "SELECT pg_current_wal_insert_lsn()::text"));
                                c.commit();
                                commits.add(new Commit(lsn, System.nanoTime()));
                                committed.incrementAndGet();
                            } else {
                                c.rollback();
                                rolledBack++;
                            }
                        } catch (SQLException e) {
                            c.rollback();
                            if (!"40P01".equals(e.getSQLState()) && !"40001".equals(e.getSQLState())) {
                                throw e;
                            }
                            conflicts++;
                        }
                    }
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** One transaction's statements; false when it is to be rolled back. */
        private boolean transaction(Statement st, int i) throws SQLException, InterruptedException {
            long customer = ownId(CUSTOMERS);
            int product = products.get(random.nextInt(products.size()));
            long order = 1 + random.nextInt(ORDERS);
            long shipment = ownId(SHIPMENTS);
            String mine = " % " + WRITERS + " = " + id;
            switch (i % 6) {
                case 0 -> {
                    // A new order with lines (the trigger takes stock), a shipment and a page view.
                    long o = Long.parseLong(string(
                            st,
                            "INSERT INTO shop.orders (customer_id, meta, note) VALUES (" + customer
                                    + ", '{\"channel\": \"live\"}', 'live order') RETURNING id"));
                    if (i % 30 == 0) {
                        // Now and then a transaction stays open a while, so some span the snapshot's start.
                        Thread.sleep(300);
                    }
                    int lines = 1 + random.nextInt(3);
                    for (int l = 1; l <= lines; l++) {
                        st.execute("INSERT INTO shop.order_lines (order_id, line, product_id, qty, unit_price)"
                                + " VALUES (" + o + ", " + l + ", " + products.get(random.nextInt(products.size()))
                                + ", " + (1 + random.nextInt(4)) + ", 9.99)");
                    }
                    st.execute("UPDATE shop.orders SET total = (SELECT sum(amount) FROM shop.order_lines"
                            + " WHERE order_id = " + o + ") WHERE id = " + o);
                    st.execute("INSERT INTO shop.shipments (region, order_id, shipped_on, weight_g) VALUES ('"
                            + List.of("eu", "us", "apac").get(random.nextInt(3)) + "', " + o
                            + ", DATE '2024-01-01' + " + random.nextInt(700) + ", " + random.nextInt(5000) + ")");
                    st.execute(
                            "INSERT INTO shop.page_views (customer_id, path) VALUES (" + customer + ", '/checkout')");
                    if (snapshotDone.get()) {
                        st.execute("INSERT INTO shop.refunds (order_id, amount, reason) VALUES (" + o
                                + ", 1.50, 'after the snapshot')");
                    }
                    liveOrders.add(o);
                }
                case 1 -> {
                    st.execute("UPDATE shop.orders SET status = 'paid', total = total + 1 WHERE id = " + order
                            + " AND customer_id" + mine);
                    if (!liveOrders.isEmpty()) {
                        long live = liveOrders.get(random.nextInt(liveOrders.size()));
                        st.execute("UPDATE shop.orders SET status = 'shipped', meta = meta || '{\"shipped\": true}'"
                                + " WHERE id = " + live);
                        st.execute("UPDATE shop.refunds SET amount = amount + 1 WHERE order_id = " + live);
                    }
                    st.execute("UPDATE shop.customers SET name = 'customer ' || id || ' v" + i + "' WHERE id = "
                            + customer);
                    st.execute("UPDATE shop.products SET price = price + 0.01 WHERE id = " + product);
                    // A subtransaction rolled back, and one kept.
                    String card = "'g" + ownId(1000) + "'";
                    st.execute("SAVEPOINT undone");
                    st.execute("UPDATE shop.products SET price = price + 100, description = 'undone' WHERE id = "
                            + product);
                    st.execute("DELETE FROM shop.\"Gift Cards\" WHERE \"Code\" = " + card);
                    st.execute("ROLLBACK TO SAVEPOINT undone");
                    st.execute("SAVEPOINT kept");
                    st.execute("UPDATE shop.\"Gift Cards\" SET balance = balance + 1, \"from\" = 'w" + id
                            + "' WHERE \"Code\" = " + card);
                    st.execute("RELEASE SAVEPOINT kept");
                }
                case 2 -> {
                    // Rows move between partitions, and between partitions of a partition.
                    st.execute("UPDATE shop.shipments SET region = CASE region WHEN 'eu' THEN 'us'"
                            + " WHEN 'us' THEN 'apac' WHEN 'apac' THEN 'latam' ELSE 'eu' END WHERE id = " + shipment
                            + " AND id" + mine);
                    st.execute("UPDATE shop.shipments SET shipped_on = shipped_on + 180, weight_g = weight_g + 1"
                            + " WHERE id = " + ownId(SHIPMENTS) + " AND id" + mine);
                    // Through the parent of an inheritance tree: reaches rows of the parent and of the child.
                    st.execute("UPDATE shop.notes SET body = body || '.' WHERE id IN (" + ownId(1000) + ", "
                            + ownId(1000) + ")");
                }
                case 3 -> {
                    // The table without a key: multi-row updates, duplicates, one of two duplicates changed.
                    long dup = ownId(200);
                    st.execute("UPDATE shop.page_views SET n = n + 1 WHERE customer_id = " + customer);
                    st.execute("INSERT INTO shop.page_views (customer_id, path, seq) VALUES (" + dup + ", '/dup', 0),"
                            + " (" + dup + ", '/dup', 0)");
                    st.execute("DELETE FROM shop.page_views WHERE ctid = (SELECT ctid FROM shop.page_views"
                            + " WHERE customer_id = " + dup + " AND path = '/dup' LIMIT 1)");
                    st.execute("UPDATE shop.page_views SET path = '/dup/seen', n = n + 1 WHERE ctid = (SELECT ctid"
                            + " FROM shop.page_views WHERE customer_id = " + dup + " AND path = '/dup' LIMIT 1)");
                    st.execute("UPDATE shop.page_views SET agent = '{\"ua\": \"app\"}', where_from = point(" + id + ", "
                            + i % 5 + ") WHERE customer_id = " + customer);
                    // The coupon's identity is its unique index: a change of it, and of other columns.
                    long coupon = ownId(1000);
                    st.execute("UPDATE shop.coupons SET uses = uses + 1 WHERE code = 'C" + coupon + "'");
                    if (i % 4 == 3) {
                        st.execute("UPDATE shop.coupons SET code = code || 'x' WHERE code = 'C" + ownId(1000) + "'");
                    }
                }
                case 4 -> {
                    // Deletes that cascade, and a primary key change that cascades.
                    st.execute("DELETE FROM shop.orders WHERE id = " + order + " AND customer_id" + mine);
                    Long live = liveCustomers.poll();
                    if (live != null) {
                        st.execute("DELETE FROM shop.customers WHERE id = " + live);
                    }
                    st.execute(
                            "DELETE FROM shop.page_views WHERE customer_id = " + customer + " AND path = '/checkout'");
                    String card = "'g" + ownId(1000) + "'";
                    st.execute("DELETE FROM shop.\"Gift Cards\" WHERE \"Code\" = " + card);
                    st.execute("INSERT INTO shop.\"Gift Cards\" VALUES (" + card + ", 'reissued', 5)"
                            + " ON CONFLICT (\"Code\") DO NOTHING");
                    if (i % 12 == 4) {
                        int index = products.indexOf(product);
                        st.execute("UPDATE shop.products SET id = id + 1000 WHERE id = " + product);
                        products.set(index, product + 1000);
                    }
                }
                default -> {
                    long c = Long.parseLong(string(
                            st,
                            "INSERT INTO shop.customers (email, name) VALUES ('live-" + id + "-" + i
                                    + "@example.com', 'live " + i + "') RETURNING id"));
                    if (i % 18 == 5) {
                        // Rolled back: leaves no trace on either side.
                        st.execute("UPDATE shop.orders SET status = 'cancelled' WHERE id = " + order
                                + " AND customer_id" + mine);
                        return false;
                    }
                    liveCustomers.add(c);
                }
            }
            return true;
        }

        /** An id in [1, bound] that is this writer's (by parity). */
        private long ownId(int bound) {
            return WRITERS * (long) random.nextInt(bound / WRITERS) + WRITERS - id;
        }

        private static String string(Statement st, String sql) throws SQLException {
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }
    }
}
