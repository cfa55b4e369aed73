package dev.sluice.pipeline;

import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * As on RDS or Cloud SQL: the owner runs init, then a user that is not a superuser, with only the
 * REPLICATION attribute and SELECT, streams into a target user that owns its tables and nothing more.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ManagedServiceTest {

    @Test
    void replicationUserWithoutSuperuserStreamsIntoPlainTargetUser() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            String ddl = "CREATE TABLE accounts (id int PRIMARY KEY, owner text, parent int REFERENCES accounts)";
            String identity =
                    "CREATE TABLE tickets (id bigint PRIMARY KEY, n int GENERATED ALWAYS AS IDENTITY, note text)";
            source.execute(
                    "DO $$ BEGIN CREATE ROLE streamer LOGIN REPLICATION PASSWORD 'pw'; EXCEPTION WHEN duplicate_object"
                            + " THEN NULL; END $$",
                    "GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamer");
            target.execute(
                    "DO $$ BEGIN CREATE ROLE stage LOGIN PASSWORD 'pw'; EXCEPTION WHEN duplicate_object THEN NULL;"
                            + " END $$",
                    "GRANT CREATE ON DATABASE " + target.name() + " TO stage",
                    "GRANT CREATE, USAGE ON SCHEMA public TO stage");
            try (Replication replication = new Replication(source, target).schema(ddl, identity)) {
                source.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO streamer");
                target.execute(
                        "ALTER TABLE accounts OWNER TO stage",
                        "ALTER TABLE tickets OWNER TO stage",
                        "ALTER TABLE sluice_test_marker OWNER TO stage");
                replication.start(Map.of(
                        Setting.SOURCE_URL,
                        source.url().withCredentials("streamer", "pw").toUrlWithPassword(),
                        Setting.TARGET_URL,
                        target.url().withCredentials("stage", "pw").toUrlWithPassword()));
                // Foreign keys stay enforced on this target, so rows arrive parents first, as on the source.
                source.execute(
                        "INSERT INTO accounts VALUES (1, 'root', NULL), (2, 'child', 1)",
                        "UPDATE accounts SET owner = 'renamed' WHERE id = 2",
                        "DELETE FROM accounts WHERE id = 2",
                        "INSERT INTO tickets (id, note) VALUES (1, 'a'), (2, 'b')",
                        "UPDATE tickets SET note = 'changed' WHERE id = 1");
                replication.awaitCaughtUp(Duration.ofSeconds(30));
                replication.assertSameData("accounts", "tickets");
                replication.stop();
            } finally {
                target.execute("DROP OWNED BY stage", "DROP SCHEMA IF EXISTS sluice CASCADE");
                source.execute("DROP OWNED BY streamer");
            }
        }
    }
}
