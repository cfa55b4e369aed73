package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anonymization stays closed while the source's schema changes: a column added under strict rules
 * reaches the target without its values, and is reported until a rule covers it; a renamed column
 * or table keeps its rules, across restarts too.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DdlAnonymizationTest {

    /** Strict rules for users and the marker table: a column added without a rule gets no values. */
    static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: users
                  column_transformers:
                    id: noop
                    email:
                      name: test_hash
                      domain: email
                    name: test_upper
                - table: sluice_test_marker
                  column_transformers:
                    id: noop
            """;

    /** The same rules, now also covering the column added on the source. */
    private static final String RULES_WITH_PHONE = RULES.replace("""
                    name: test_upper
            """, """
                    name: test_upper
                    phone: test_mask
            """);

    private static final Keyring KEY = TestTransformers.keyring(TestTransformers.KEY_HEX);

    @TempDir
    Path dir;

    @Test
    void addedColumnsNeverCarryRawValuesAndRenamedColumnsAndTablesKeepTheirRules() throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            createUsers(source, 50);
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            replication.start(pipeline(source, target, rules, registry)).awaitStreaming();

            source.execute(
                    "ALTER TABLE users ADD COLUMN phone text",
                    "ALTER TABLE users ADD COLUMN ssn text NOT NULL DEFAULT 'unknown'",
                    "ALTER TABLE users RENAME COLUMN name TO full_name",
                    "INSERT INTO users VALUES (100, 'new@example.com', 'alice', 'PHONE-SECRET-100', 'SSN-SECRET-100')",
                    "ALTER TABLE users RENAME TO customers",
                    "UPDATE customers SET phone = 'PHONE-SECRET-' || id, ssn = 'SSN-SECRET-' || id WHERE id <= 10",
                    "UPDATE customers SET full_name = 'bob', email = 'bob@example.com' WHERE id = 11");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            assertThat(target.queryForString("SELECT count(*) FROM customers WHERE customers::text LIKE '%SECRET%'"))
                    .as("rows on the target carrying a raw value of a column without a rule")
                    .isEqualTo("0");
            assertThat(target.queryForString("SELECT count(*) FROM customers WHERE phone IS NOT NULL"))
                    .isEqualTo("0");
            assertThat(target.queryForString("SELECT ssn FROM customers WHERE id = 100"))
                    .as("a NOT NULL column without a rule gets its type's masked default")
                    .isEmpty();
            assertThat(target.queryForString("SELECT full_name FROM customers WHERE id = 11"))
                    .as("the renamed column keeps the rule of its old name")
                    .isEqualTo("BOB");
            assertThat(target.queryForString("SELECT email FROM customers WHERE id = 11"))
                    .as("the renamed table keeps its rules")
                    .isEqualTo(TestTransformers.hash(KEY, "email", "bob@example.com"));
            assertThat(registry.get("sluice_columns_without_rule").gauge().value())
                    .isEqualTo(2.0);
            awaitRecorded(target, "public.customers.phone", true);
            assertThat(UncoveredColumns.describe(target.url(), "sluice")).containsKeys("public.customers.ssn");

            // A restart tolerates the recorded columns (strict mode would otherwise refuse to start)
            // and remembers the rename; a rule added for phone covers it from then on.
            replication.stop();
            Files.writeString(rules, RULES_WITH_PHONE);
            replication.start(pipeline(source, target, rules)).awaitStreaming();
            source.execute("INSERT INTO customers VALUES (101, 'later@example.com', 'carol', 'PHONE-SECRET-101',"
                    + " 'SSN-SECRET-101')");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            assertThat(target.queryForList(
                            "SELECT full_name || ' ' || phone || ' ' || ssn FROM customers WHERE id = 101"))
                    .containsExactly("CAROL *** ");
            assertThat(target.queryForString("SELECT count(*) FROM customers WHERE customers::text LIKE '%SECRET%'"))
                    .isEqualTo("0");
            awaitRecorded(target, "public.customers.phone", false);
            assertThat(UncoveredColumns.describe(target.url(), "sluice")).containsOnlyKeys("public.customers.ssn");
            replication.stop();
        }
    }

    @Test
    void aTableMovedToAnotherSchemaKeepsItsRulesAcrossRestarts() throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            createUsers(source, 20);
            replication.start(pipeline(source, target, rules)).awaitStreaming();

            source.execute(
                    "CREATE SCHEMA archive",
                    "ALTER TABLE users RENAME COLUMN name TO full_name",
                    // Unqualified: the old schema comes from the search_path ("$user", public).
                    "ALTER TABLE users SET SCHEMA archive",
                    "INSERT INTO archive.users VALUES (100, 'alice@example.com', 'alice')",
                    "UPDATE archive.users SET full_name = 'bob' WHERE id = 1");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            assertThat(target.queryForString("SELECT full_name FROM archive.users WHERE id = 100"))
                    .as("the moved table's renamed column keeps its rule")
                    .isEqualTo("ALICE");
            assertThat(target.queryForString("SELECT full_name FROM archive.users WHERE id = 1"))
                    .isEqualTo("BOB");
            assertThat(target.queryForString("SELECT email FROM archive.users WHERE id = 100"))
                    .isEqualTo(TestTransformers.hash(KEY, "email", "alice@example.com"));
            assertThat(target.queryForList("SELECT table_schema || '.' || from_name || ' -> ' || to_schema || '.'"
                            + " || to_name FROM sluice.renames WHERE kind = 'table'"))
                    .containsExactly("public.users -> archive.users");

            replication.stop();
            replication.start(pipeline(source, target, rules)).awaitStreaming();
            source.execute("INSERT INTO archive.users VALUES (101, 'carol@example.com', 'carol')");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            assertThat(target.queryForString("SELECT full_name FROM archive.users WHERE id = 101"))
                    .as("after a restart, the move is read back from the target")
                    .isEqualTo("CAROL");
            assertThat(target.queryForString("SELECT count(*) FROM archive.users WHERE full_name IS NULL"))
                    .isEqualTo("0");
            replication.stop();
        }
    }

    private static void createUsers(TestDatabase source, int rows) {
        source.execute(
                "CREATE TABLE users (id int PRIMARY KEY, email text, name text)",
                Replication.MARKER_DDL,
                "INSERT INTO users SELECT i, 'user' || i || '@example.com', 'name ' || i" + " FROM generate_series(1, "
                        + rows + ") i");
    }

    private static Pipeline pipeline(TestDatabase source, TestDatabase target, Path rules) {
        return pipeline(source, target, rules, new SimpleMeterRegistry());
    }

    private static Pipeline pipeline(
            TestDatabase source, TestDatabase target, Path rules, SimpleMeterRegistry registry) {
        return AnonymizationTest.pipeline(source, target, rules, TestTransformers.KEY_HEX, registry);
    }

    private static void awaitRecorded(TestDatabase target, String column, boolean present) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (UncoveredColumns.describe(target.url(), "sluice").containsKey(column) != present) {
            assertThat(System.nanoTime())
                    .as("%s %s the target's record in time", column, present ? "in" : "out of")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
