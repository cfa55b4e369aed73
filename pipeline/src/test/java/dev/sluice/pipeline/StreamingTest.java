package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A change workload streams from source to target and both end with the same rows, on every tested major version. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StreamingTest {

    static Stream<Integer> versions() {
        return TestPostgres.versions().stream();
    }

    private static final String[] SCHEMA = {
        "CREATE TABLE customers (id bigint PRIMARY KEY, name text NOT NULL, email text UNIQUE, updated_at timestamptz)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY,"
                + " customer_id bigint REFERENCES customers (id) ON UPDATE CASCADE ON DELETE CASCADE,"
                + " total numeric(12, 2), note text)",
        "CREATE INDEX ON orders (customer_id)",
        "CREATE TABLE events (kind text, payload jsonb)",
        "ALTER TABLE events REPLICA IDENTITY FULL",
        "CREATE TABLE pairs (a int, b text, v int, PRIMARY KEY (a, b))",
        // Rows of different partitions share ctids: a keyless delete must touch one row, not one per partition.
        "CREATE TABLE readings (region text, v int) PARTITION BY LIST (region)",
        "CREATE TABLE readings_eu PARTITION OF readings FOR VALUES IN ('eu')",
        "CREATE TABLE readings_us PARTITION OF readings FOR VALUES IN ('us')",
        "ALTER TABLE readings_eu REPLICA IDENTITY FULL",
        "ALTER TABLE readings_us REPLICA IDENTITY FULL",
        // An identity column outside the key: written on insert, never set by an update.
        "CREATE TABLE tickets (id bigint PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY, note text)"
    };

    private static final String[] TABLES = {"customers", "orders", "events", "pairs", "readings", "tickets"};

    @ParameterizedTest(name = "PostgreSQL {0}")
    @MethodSource("versions")
    void mixedWorkloadEndsWithIdenticalTables(int major) throws Exception {
        try (TestDatabase source = TestPostgres.server(major).createDatabase();
                TestDatabase target = TestPostgres.server(major).createDatabase();
                Replication replication =
                        new Replication(source, target).schema(SCHEMA).start()) {
            source.execute(
                    "INSERT INTO customers SELECT i, 'name ' || i, 'user' || i || '@example.com', now()"
                            + " FROM generate_series(1, 300) i",
                    "INSERT INTO orders (customer_id, total, note) SELECT 1 + i % 300, i * 1.25, 'order ' || i"
                            + " FROM generate_series(1, 2000) i");
            // Updates, including primary key changes that cascade to orders.
            source.execute(
                    "UPDATE customers SET name = name || ' jr', updated_at = now() WHERE id % 7 = 0",
                    "UPDATE customers SET id = id + 100000 WHERE id % 11 = 0",
                    "UPDATE orders SET total = total * 2, note = NULL WHERE id % 5 = 0");
            // Deletes, cascading on the source.
            source.execute("DELETE FROM orders WHERE id % 13 = 0", "DELETE FROM customers WHERE id % 17 = 0");
            // A rolled-back transaction leaves no trace.
            try (Connection c = source.connect()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO customers VALUES (999999, 'ghost', 'ghost@example.com', now())");
                    st.execute("UPDATE customers SET name = 'ghosted' WHERE id = 2");
                }
                c.rollback();
            }
            // Interleaved transactions commit in the opposite order they began.
            try (Connection first = source.connect();
                    Connection second = source.connect()) {
                first.setAutoCommit(false);
                second.setAutoCommit(false);
                try (Statement a = first.createStatement();
                        Statement b = second.createStatement()) {
                    a.execute("INSERT INTO pairs VALUES (1, 'x', 1), (2, 'y', 2)");
                    b.execute("INSERT INTO pairs VALUES (3, 'z', 3)");
                    b.execute("UPDATE customers SET name = 'second' WHERE id = 3");
                    second.commit();
                    a.execute("UPDATE pairs SET v = v + 10, b = b || '!' WHERE a = 1");
                    a.execute("UPDATE customers SET name = 'first' WHERE id = 3");
                    first.commit();
                }
            }
            // Two rows already on the target trade a unique value inside one transaction: written set-wise
            // this conflicts, so the sink replays those changes in source order.
            replication.awaitCaughtUp(Duration.ofMinutes(1));
            try (Connection c = source.connect()) {
                c.setAutoCommit(false);
                try (Statement st = c.createStatement()) {
                    st.execute("UPDATE customers SET email = 'swap' WHERE id = 4");
                    st.execute("UPDATE customers SET email = 'user4@example.com' WHERE id = 5");
                    st.execute("UPDATE customers SET email = 'user5@example.com' WHERE id = 4");
                }
                c.commit();
            }
            // Duplicate rows in a table without a key: one delete and one update touch one row each.
            source.execute(
                    "INSERT INTO events VALUES ('dup', '{\"n\": 1}'), ('dup', '{\"n\": 1}'), ('dup', '{\"n\": 1}'),"
                            + " ('other', NULL)",
                    "DELETE FROM events WHERE ctid = (SELECT ctid FROM events WHERE kind = 'dup' LIMIT 1)",
                    "UPDATE events SET payload = '{\"n\": 2}' WHERE ctid = (SELECT ctid FROM events WHERE kind = 'dup'"
                            + " LIMIT 1)",
                    "UPDATE events SET kind = 'changed' WHERE kind = 'other'");
            // Truncates, plain and cascading with identity restart, then new rows.
            source.execute(
                    "TRUNCATE pairs",
                    "INSERT INTO pairs VALUES (5, 'after', 5)",
                    "TRUNCATE customers RESTART IDENTITY CASCADE",
                    "INSERT INTO customers VALUES (1, 'again', 'again@example.com', now())",
                    "INSERT INTO orders (customer_id, total) VALUES (1, 10)");
            source.execute(
                    "INSERT INTO readings VALUES ('eu', 1), ('us', 1), ('eu', 2)",
                    "DELETE FROM readings WHERE region = 'eu' AND v = 1",
                    "UPDATE readings SET v = 10 WHERE region = 'us'",
                    "INSERT INTO tickets (id, note) VALUES (1, 'a'), (2, 'b')",
                    "UPDATE tickets SET note = 'changed' WHERE id = 1",
                    "INSERT INTO tickets (id, note) SELECT i, 'bulk' FROM generate_series(3, 40) i");
            // One transaction larger than a batch and a group.
            source.execute(
                    "INSERT INTO events SELECT 'bulk', jsonb_build_object('i', i) FROM generate_series(1, 30000) i");

            replication.awaitCaughtUp(Duration.ofMinutes(2));
            replication.assertSameData(TABLES);
            assertThat(source.queryForString("SELECT count(*) FROM events")).isEqualTo("30003");
            assertThat(replication.pipeline().sinkStats().missingRows.get()).isZero();
            assertThat(replication.pipeline().sinkStats().orderedReplays.get()).isPositive();
        }
    }
}
