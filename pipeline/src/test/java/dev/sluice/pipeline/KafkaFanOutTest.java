package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.branching.BranchStore;
import dev.sluice.branching.StoreOptions;
import dev.sluice.core.PgUrl;
import dev.sluice.pipeline.cli.SluiceCli;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.StoreDirectories;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestKafka;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One source published once to Kafka, applied by three consumer groups to three targets (two
 * databases and the branch store's main) while the source writes and changes its schema: every
 * target ends equal to what direct replication with the same rules makes of the source,
 * anonymized; a group that joins later catches up to the same.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class KafkaFanOutTest {

    /** The anonymization test's rules: the same tables, the same transformers. */
    private static final String RULES = AnonymizationTest.RULES;

    private static final String[] SCHEMA = {
        "CREATE TABLE users (email text PRIMARY KEY, name text, bio text, age int)",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_email text NOT NULL REFERENCES users, note text)",
        // The initial copy reads a partitioned table through its root.
        "CREATE TABLE visits (id int, region text, ip text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
        "CREATE TABLE visits_eu PARTITION OF visits FOR VALUES IN ('eu')",
        "CREATE TABLE visits_us PARTITION OF visits FOR VALUES IN ('us')",
        Replication.MARKER_DDL
    };

    /** Small, like the branching tests' stores: this one only holds main. */
    private static final Map<String, String> STORE_SETTINGS =
            Map.of("fsync", "off", "synchronous_commit", "off", "shared_buffers", "32MB", "max_connections", "40");

    private static final Keyring KEY = TestTransformers.keyring(TestTransformers.KEY_HEX);

    @TempDir
    Path dir;

    /** For a marker to reach every target. */
    private static final Duration CAUGHT_UP = Duration.ofSeconds(90);

    @Test
    void threeGroupsAndALateJoinerEqualDirectReplicationThroughDdlAndTruncate() throws Exception {
        TestKafka kafka = TestKafka.broker();
        // By table over three partitions: users and orders land apart, so schema changes that span
        // them travel as barriers.
        String topic = kafka.createTopic("fanout", 3);
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase direct = TestPostgres.server().createDatabase();
                TestDatabase t1 = TestPostgres.server().createDatabase();
                TestDatabase t2 = TestPostgres.server().createDatabase();
                TestDatabase late = TestPostgres.server().createDatabase();
                BranchStore store = BranchStore.open(
                        StoreDirectories.newRoot("kafka-fanout"),
                        StoreOptions.defaults().withServerSettings(STORE_SETTINGS));
                RunningPipelines running = new RunningPipelines()) {
            run(
                    kafka,
                    topic,
                    rules,
                    running,
                    source,
                    Target.of(direct),
                    Target.of(t1),
                    Target.of(t2),
                    new Target("store-main", store.mainWriterUrl()),
                    Target.of(late));
        }
    }

    /** A database the test reads: a test database, or the branch store's main. */
    private record Target(String name, PgUrl url) {
        static Target of(TestDatabase db) {
            return new Target(db.name(), db.url());
        }

        List<String> queryForList(String sql) {
            try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery(sql)) {
                List<String> values = new ArrayList<>();
                while (rs.next()) {
                    values.add(rs.getString(1));
                }
                return values;
            } catch (SQLException e) {
                throw new IllegalStateException(name + ": " + sql + ": " + e.getMessage(), e);
            }
        }

        String queryForString(String sql) {
            List<String> rows = queryForList(sql);
            return rows.isEmpty() ? null : rows.get(0);
        }

        String tableChecksum(String table) {
            return queryForString("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), ''))"
                    + " FROM " + table + " t");
        }
    }

    private void run(
            TestKafka kafka,
            String topic,
            Path rules,
            RunningPipelines running,
            TestDatabase source,
            Target direct,
            Target t1,
            Target t2,
            Target t3,
            Target late)
            throws Exception {
        {
            source.execute(SCHEMA);
            source.execute(
                    "INSERT INTO users SELECT 'u' || i || '@example.com', 'name ' || i, 'bio ' || i, i % 90"
                            + " FROM generate_series(1, 300) i",
                    "INSERT INTO orders SELECT i, 'u' || (i % 300 + 1) || '@example.com', 'note ' || i"
                            + " FROM generate_series(1, 500) i",
                    "INSERT INTO visits SELECT i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, '10.0.0.' || i % 250"
                            + " FROM generate_series(1, 200) i");
            Map<Setting, String> common = KafkaFlags.common(kafka, topic);

            Map<Setting, String> producer = KafkaFlags.producer(common, source.url());
            producer.put(Setting.KAFKA_PARTITIONING, "table");
            // Not the default codec: consumers read whatever the producer chose.
            producer.put(Setting.KAFKA_COMPRESSION, "zstd");
            producer.put(Setting.TRANSFORM_FILE, rules.toString());
            running.startAndAwaitStreaming(KafkaFlags.anonymizing(producer));

            Map<Setting, String> reference = Map.of(
                    Setting.SOURCE_URL, source.url().toUrlWithPassword(),
                    Setting.TARGET_URL, direct.url().toUrlWithPassword(),
                    Setting.SOURCE_SLOT, "direct",
                    Setting.TRANSFORM_FILE, rules.toString(),
                    Setting.METRICS_PORT, "0");
            running.startAndAwaitStreaming(KafkaFlags.anonymizing(reference));
            for (Target target : List.of(t1, t2, t3)) {
                running.start(
                        KafkaFlags.anonymizing(KafkaFlags.consumer(common, target.url(), "group-" + target.name())));
            }

            try (Workload workload = new ShopWorkload(source)) {
                workload.start();
                running.awaitCaughtUp(source, CAUGHT_UP, direct.url(), t1.url(), t2.url(), t3.url());
                // Schema changes while rows flow: one per table, one spanning both, and a truncate.
                source.execute("ALTER TABLE users ADD COLUMN vip boolean NOT NULL DEFAULT false");
                Thread.sleep(300);
                source.execute("CREATE INDEX orders_note ON orders (note)");
                // Tables in the workload's lock order (users, then orders), or the source deadlocks.
                source.execute("BEGIN; ALTER TABLE users RENAME COLUMN bio TO about;"
                        + " ALTER TABLE orders RENAME COLUMN note TO remark; COMMIT");
                Thread.sleep(300);
                workload.stopAndCheck();
            }
            // Rows of a table before and after its schema change in one transaction: the slice
            // describes the table again for the rows of its new shape.
            source.execute("BEGIN; INSERT INTO visits VALUES (998, 'eu', '10.1.1.3');"
                    + " ALTER TABLE visits ADD COLUMN seen_at text;"
                    + " INSERT INTO visits VALUES (999, 'us', '10.1.1.4', 'x'); COMMIT");
            source.execute(
                    "UPDATE users SET age = age + 1 WHERE age < 10",
                    "INSERT INTO visits VALUES (1000, 'eu', '10.1.1.1'), (1001, 'us', '10.1.1.2')");
            running.awaitCaughtUp(source, CAUGHT_UP, direct.url(), t1.url(), t2.url(), t3.url());

            running.start(KafkaFlags.anonymizing(KafkaFlags.consumer(common, late.url(), "late-joiner")));
            running.awaitCaughtUp(source, CAUGHT_UP, direct.url(), t1.url(), t2.url(), t3.url(), late.url());

            // Partitions apply independently: a marker proves its own partition caught up, not the others.
            for (Target target : List.of(t1, t2, t3, late)) {
                for (String table : List.of("users", "orders", "visits")) {
                    awaitSame(direct, target, table);
                }
            }
            assertStatusShowsNoLag(kafka, topic, t1, "group-" + t1.name());
            List<String> emails = source.queryForList("SELECT email FROM users");
            assertThat(t1.queryForList("SELECT email FROM users")).doesNotContainAnyElementsOf(emails);
            assertThat(t1.queryForString("SELECT count(*) FROM users"))
                    .isEqualTo(source.queryForString("SELECT count(*) FROM users"));
            assertThat(t2.queryForList("SELECT email FROM users"))
                    .contains(TestTransformers.hash(KEY, "email", "u1@example.com"));
            assertThat(t3.queryForString("SELECT count(*) FROM information_schema.columns"
                            + " WHERE table_name = 'orders' AND column_name = 'remark'"))
                    .isEqualTo("1");
        }
    }

    /** `sluice status` with the Kafka settings shows the group's lag, which drops to zero. */
    private static void assertStatusShowsNoLag(TestKafka kafka, String topic, Target target, String group)
            throws Exception {
        String expected = "group:        " + group + ", lag 0 record(s), 0 B of source WAL";
        String shown = "";
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!shown.contains(expected) && System.nanoTime() < deadline) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = SluiceCli.run(
                    new String[] {
                        "status",
                        "--kafka-brokers",
                        kafka.bootstrap(),
                        "--topic",
                        topic,
                        "--group",
                        group,
                        "--target-url",
                        target.url().toUrlWithPassword()
                    },
                    Map.of(),
                    new PrintWriter(out, true),
                    new PrintWriter(err, true));
            assertThat(code).as("status exit code; %s", err).isZero();
            shown = out.toString();
            Thread.sleep(200);
        }
        assertThat(shown)
                .contains("kafka:        topic " + topic + ", 3 partition(s), published up to")
                .contains(expected);
    }

    private static void awaitSame(Target expected, Target target, String table) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!target.tableChecksum(table).equals(expected.tableChecksum(table)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertThat(target.tableChecksum(table))
                .as("%s on %s equals direct replication", table, target.name())
                .isEqualTo(expected.tableChecksum(table));
    }

    /** Users and their orders inserted, updated and deleted in small transactions, until stopped. */
    private static final class ShopWorkload extends Workload {
        ShopWorkload(TestDatabase source) {
            super(source);
        }

        @Override
        Transaction prepare(Connection c) throws Exception {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int[] next = {1000};
            return () -> {
                int n = next[0]++;
                try (PreparedStatement user =
                                c.prepareStatement("INSERT INTO users (email, name, age) VALUES (?, ?, ?)");
                        PreparedStatement order =
                                c.prepareStatement("INSERT INTO orders (id, user_email) VALUES (?, ?)");
                        PreparedStatement touch = c.prepareStatement("UPDATE users SET age = age + 1 WHERE email = ?");
                        PreparedStatement drop = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
                    String email = "w" + n + "@example.com";
                    user.setString(1, email);
                    user.setString(2, "worker " + n);
                    user.setInt(3, random.nextInt(18, 90));
                    user.executeUpdate();
                    order.setLong(1, 10_000 + n);
                    order.setString(2, email);
                    order.executeUpdate();
                    touch.setString(1, "u" + random.nextInt(1, 301) + "@example.com");
                    touch.executeUpdate();
                    drop.setLong(1, random.nextInt(1, 501));
                    drop.executeUpdate();
                }
                Thread.sleep(2);
            };
        }
    }
}
