package dev.sluice.pipeline;

import static dev.sluice.pipeline.TestTransformers.hash;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableFilter;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.pipeline.verify.LeakCheck;
import dev.sluice.pipeline.verify.VerifyReport;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Rules;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rows reach the target anonymized, whether the snapshot copied them or the stream carried them;
 * updates and deletes addressed by a transformed primary key hit the right rows; joins on columns
 * of one domain survive; a target written under one key refuses another key, and refuses raw rows.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class AnonymizationTest {

    static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: users
                  column_transformers:
                    email:
                      name: test_hash
                      domain: email
                    name: test_upper
                    bio: test_mask
                    age: noop
                - table: orders
                  column_transformers:
                    id: noop
                    user_email:
                      name: test_hash
                      domain: email
                    note: test_hash
                - table: visits
                  column_transformers:
                    id: noop
                    region: noop
                    ip: test_hash
                - table: sluice_test_marker
                  column_transformers:
                    id: noop
            """;

    private static final String[] SCHEMA = {
        "CREATE TABLE users (email text PRIMARY KEY, name text, bio text, age int)",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_email text NOT NULL REFERENCES users, note text)",
        // Full old images: every column of an old row is transformed.
        "ALTER TABLE orders REPLICA IDENTITY FULL",
        // The snapshot copies partition by partition; the rules name the partitioned table.
        "CREATE TABLE visits (id int, region text, ip text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
        "CREATE TABLE visits_eu PARTITION OF visits FOR VALUES IN ('eu')",
        "CREATE TABLE visits_us PARTITION OF visits FOR VALUES IN ('us')",
        Replication.MARKER_DDL
    };

    private static final Keyring KEY = TestTransformers.keyring(TestTransformers.KEY_HEX);

    @TempDir
    Path dir;

    @Test
    void snapshotAndStreamBothAnonymizeAndTransformedKeysFindTheirRows() throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            source.execute(SCHEMA);
            source.execute(
                    "INSERT INTO users SELECT 'user' || i || '@example.com', 'name ' || i, 'bio ' || i, i"
                            + " FROM generate_series(1, 200) i",
                    "INSERT INTO orders SELECT i, 'user' || (1 + i % 100) || '@example.com', 'note ' || i"
                            + " FROM generate_series(1, 500) i",
                    "INSERT INTO visits SELECT i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, '10.0.0.' || i"
                            + " FROM generate_series(1, 100) i");
            Pipeline pipeline = pipeline(source, target, rules, TestTransformers.KEY_HEX);
            CompletableFuture<Void> run = Replication.background(pipeline);
            try {
                Replication.awaitStreaming(pipeline, run);
                replication.awaitCaughtUp(Duration.ofMinutes(1));

                // Copied by the snapshot.
                assertAnonymized(source, target);

                source.execute(
                        "INSERT INTO users VALUES ('new@example.com', 'Newcomer', 'fresh', 30)",
                        "INSERT INTO orders VALUES (1000, 'new@example.com', 'first order')",
                        // Key unchanged: the new row finds its target row by its transformed key.
                        "UPDATE users SET name = 'renamed', bio = 'changed' WHERE email = 'user5@example.com'",
                        // Key changed: the old key must be transformed as the insert was.
                        "UPDATE users SET email = 'moved@example.com' WHERE email = 'user150@example.com'",
                        "DELETE FROM users WHERE email = 'user151@example.com'",
                        // REPLICA IDENTITY FULL: the whole old row is transformed.
                        "UPDATE orders SET note = 'amended' WHERE id = 7",
                        "DELETE FROM orders WHERE id = 8",
                        "INSERT INTO visits VALUES (101, 'eu', '10.0.1.1')");
                replication.awaitCaughtUp(Duration.ofMinutes(1));

                assertAnonymized(source, target);
                // What `sluice verify` checks: no source value of a transformed column reached the target.
                VerifyReport verified = LeakCheck.run(
                        source.url(),
                        target.url(),
                        Rules.parse("transform.yaml", RULES),
                        SourceSchemaReader.read(source.url(), TableFilter.all()),
                        TestTransformers.registry(),
                        0,
                        line -> {});
                assertThat(verified.leaks()).as(verified.table()).isFalse();
                assertThat(verified.columns())
                        .hasSize(6)
                        .allSatisfy(c -> assertThat(c.rows()).isPositive());
                assertThat(target.queryForString("SELECT name || '/' || bio FROM users WHERE email = '"
                                + hash(KEY, "email", "user5@example.com") + "'"))
                        .isEqualTo("RENAMED/***");
                assertThat(target.queryForString("SELECT name FROM users WHERE email = '"
                                + hash(KEY, "email", "moved@example.com") + "'"))
                        .isEqualTo("NAME 150");
                assertThat(target.queryForString("SELECT count(*) FROM users WHERE email IN ('"
                                + hash(KEY, "email", "user150@example.com") + "', '"
                                + hash(KEY, "email", "user151@example.com") + "')"))
                        .isEqualTo("0");
                assertThat(target.queryForString("SELECT note FROM orders WHERE id = 7"))
                        .isEqualTo(hash(KEY, "default", "amended"));
                assertThat(target.queryForString("SELECT count(*) FROM orders WHERE id = 8"))
                        .isEqualTo("0");
                assertThat(target.queryForString("SELECT key_id FROM sluice.anonymization WHERE pipeline = 'sluice'"))
                        .isEqualTo(KEY.id());
            } finally {
                pipeline.stop();
            }
            run.get(30, TimeUnit.SECONDS);
            assertThat(pipeline.sinkStats().missingRows.get()).isZero();

            // Another key, or no rules at all, would mix values on this target.
            assertThatThrownBy(() -> pipeline(source, target, rules, TestTransformers.OTHER_KEY_HEX)
                            .run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("anonymized under key " + KEY.id() + ", but the key given now")
                    .hasMessageContaining(TestTransformers.keyring(TestTransformers.OTHER_KEY_HEX)
                            .id());
            assertThatThrownBy(() -> pipeline(source, target, null, TestTransformers.KEY_HEX)
                            .run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("transform.file is not set: this run would write raw values into it");
        }
    }

    @Test
    void startUpRefusesRulesThatLeaveColumnsUncoveredInStrictMode() throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES.replace("        age: noop\n", ""));
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);

            assertThatThrownBy(() -> pipeline(source, target, rules, TestTransformers.KEY_HEX)
                            .run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessage("transform.yaml: validation_mode strict: 1 column(s) of replicated tables have no"
                            + " rule; give each a transformer, or noop to pass it through:\n"
                            + "    public.users: age");
            // Refused before anything was copied.
            assertThat(target.queryForString("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
                    .isEqualTo("0");
        }
    }

    @Test
    void withoutAKeyTheRunRefusesToStartAndSaysHowToProvideOne() throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);

            assertThatThrownBy(() -> pipeline(source, target, rules, null).run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("Deterministic transformers need a key")
                    .hasMessageContaining("SLUICE_KEY");
        }
    }

    /** Every transformed column holds exactly the transformed source values, and no source value verbatim. */
    private static void assertAnonymized(TestDatabase source, TestDatabase target) {
        List<String> emails = source.queryForList("SELECT email FROM users ORDER BY email");
        assertThat(target.queryForList("SELECT email FROM users"))
                .containsExactlyInAnyOrderElementsOf(
                        emails.stream().map(e -> hash(KEY, "email", e)).toList())
                .doesNotContainAnyElementsOf(emails);
        assertThat(target.queryForList("SELECT count(*) FROM users WHERE name <> upper(name) OR bio <> '***'"))
                .containsExactly("0");
        assertThat(target.queryForList("SELECT note FROM orders"))
                .doesNotContainAnyElementsOf(source.queryForList("SELECT note FROM orders"));
        // One domain for users.email and orders.user_email: the join gives what it gives on the source.
        String join = "SELECT count(*) FROM orders o JOIN users u ON u.email = o.user_email";
        assertThat(target.queryForString(join)).isEqualTo(source.queryForString(join));
        assertThat(target.queryForString("SELECT count(*) FROM orders"))
                .isEqualTo(source.queryForString("SELECT count(*) FROM orders"));
        assertThat(target.queryForString("SELECT sum(age) FROM users"))
                .isEqualTo(source.queryForString("SELECT sum(age) FROM users"));
        List<String> ips = source.queryForList("SELECT ip FROM visits");
        assertThat(target.queryForList("SELECT ip FROM visits"))
                .containsExactlyInAnyOrderElementsOf(
                        ips.stream().map(ip -> hash(KEY, "default", ip)).toList());
    }

    private static Pipeline pipeline(TestDatabase source, TestDatabase target, Path rules, String keyHex) {
        return pipeline(source, target, rules, keyHex, new SimpleMeterRegistry());
    }

    /** A pipeline from source to target anonymizing by the rules (none: raw) under the key, with the test transformers. */
    static Pipeline pipeline(
            TestDatabase source, TestDatabase target, Path rules, String keyHex, SimpleMeterRegistry registry) {
        Map<Setting, String> flags = new HashMap<>(Map.of(
                Setting.SOURCE_URL, source.url().toUrlWithPassword(),
                Setting.TARGET_URL, target.url().toUrlWithPassword(),
                Setting.METRICS_PORT, "0"));
        if (rules != null) {
            flags.put(Setting.TRANSFORM_FILE, rules.toString());
        }
        SluiceConfig config = ConfigLoader.load(null, Map.of(), flags);
        return new Pipeline(config, registry, false, keyHex == null ? Map.of() : TestTransformers.env(keyHex))
                .transformers(TestTransformers.registry());
    }
}
