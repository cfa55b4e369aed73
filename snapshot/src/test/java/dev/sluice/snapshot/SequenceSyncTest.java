package dev.sluice.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableFilter;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Target sequences end at the source's values, never behind them and never moved back. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SequenceSyncTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE serials (id serial PRIMARY KEY, v text)",
        "CREATE TABLE idents (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v text)",
        "CREATE SEQUENCE tickets START 100",
        "CREATE SEQUENCE restarted",
        "CREATE SEQUENCE countdown INCREMENT -1",
        "CREATE TABLE busy (id serial PRIMARY KEY)",
        "CREATE TABLE audit (id bigserial PRIMARY KEY, what text)",
        "CREATE SCHEMA other",
        "CREATE TABLE other.things (id serial PRIMARY KEY)",
        "CREATE SEQUENCE \"Odd Name\""
    };

    @Test
    void targetSequencesFollowTheSourceForwardOnly() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute(
                    "INSERT INTO serials (v) SELECT 'v' FROM generate_series(1, 50)",
                    "INSERT INTO idents (v) SELECT 'v' FROM generate_series(1, 70)",
                    "SELECT nextval('tickets') FROM generate_series(1, 3)",
                    "SELECT nextval('restarted') FROM generate_series(1, 5)",
                    "ALTER SEQUENCE restarted RESTART WITH 500",
                    "SELECT nextval('countdown') FROM generate_series(1, 3)",
                    "INSERT INTO busy SELECT FROM generate_series(1, 10)",
                    "INSERT INTO audit (what) SELECT 'a' FROM generate_series(1, 40)",
                    "INSERT INTO other.things SELECT FROM generate_series(1, 5)",
                    "SELECT nextval('\"Odd Name\"') FROM generate_series(1, 7)",
                    // Only on the source: the target's schema may leave it out.
                    "CREATE SEQUENCE only_here",
                    "SELECT nextval('only_here')");
            // Staging drew ids of its own beyond the source's: they stay drawn.
            target.execute("SELECT setval('busy_id_seq', 1000)");
            // pg_sequences alone cannot tell a restarted sequence from a fresh one.
            assertThat(source.queryForString("SELECT last_value FROM pg_sequences WHERE sequencename = 'restarted'"))
                    .isNull();

            SequenceSync sync =
                    new SequenceSync(source.url(), target.url(), TableFilter.of(List.of("*", "!public.audit")));
            SequenceSync.Result result = sync.sync();

            assertThat(nextval(target, "pg_get_serial_sequence('serials', 'id')"))
                    .isEqualTo(51);
            assertThat(nextval(target, "pg_get_serial_sequence('idents', 'id')"))
                    .isEqualTo(71);
            assertThat(nextval(target, "'tickets'")).isEqualTo(103);
            assertThat(nextval(target, "'restarted'")).isEqualTo(500);
            assertThat(nextval(target, "'countdown'")).isEqualTo(-4);
            assertThat(nextval(target, "'busy_id_seq'")).isEqualTo(1001);
            assertThat(nextval(target, "'other.things_id_seq'")).isEqualTo(6);
            assertThat(nextval(target, "'\"Odd Name\"'")).isEqualTo(8);
            assertThat(nextval(target, "'audit_id_seq'"))
                    .as("a sequence of a table not replicated")
                    .isEqualTo(1);
            assertThat(result.set()).isEqualTo(7);
            assertThat(result.kept()).isEqualTo(1);
            assertThat(result.missing()).containsExactly("public.only_here");
            assertThat(result.unreadable()).isEmpty();
            assertThat(result.outOfRange()).isEmpty();
            assertThat(result.problem()).isEmpty();
            // Once in step, a sync moves nothing; the target only moved on by the nextvals above.
            SequenceSync.Result again = sync.sync();
            assertThat(again.set()).isZero();
            assertThat(again.kept()).isEqualTo(8);
        }
    }

    @Test
    void sequencesTheSourceUserCannotReadAreNamed() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            String role = "seq_reader_" + source.name();
            String[] schema = {
                "CREATE SEQUENCE readable", "CREATE SEQUENCE usable", "CREATE SEQUENCE unused", "CREATE SEQUENCE secret"
            };
            source.execute(schema);
            target.execute(schema);
            source.execute(
                    "CREATE ROLE " + role + " LOGIN PASSWORD 'pw'",
                    "GRANT SELECT ON SEQUENCE readable TO " + role,
                    "GRANT USAGE ON SEQUENCE usable, unused TO " + role,
                    "SELECT setval('readable', 20)",
                    "SELECT setval('usable', 30)",
                    "SELECT setval('secret', 40)");
            try {
                PgUrl asReader = source.url().withCredentials(role, "pw");
                SequenceSync.Result result = new SequenceSync(asReader, target.url(), TableFilter.all()).sync();

                assertThat(nextval(target, "'readable'")).isEqualTo(21);
                assertThat(nextval(target, "'usable'")).isEqualTo(31);
                assertThat(nextval(target, "'unused'")).isEqualTo(1);
                assertThat(nextval(target, "'secret'")).isEqualTo(1);
                assertThat(result.set()).isEqualTo(2);
                assertThat(result.unreadable()).containsExactly("public.secret");
                assertThat(result.problem())
                        .hasValueSatisfying(p -> assertThat(p)
                                .contains("not readable by the source user")
                                .contains("public.secret")
                                .contains("GRANT SELECT ON SEQUENCE"));
            } finally {
                source.execute("DROP OWNED BY " + role, "DROP ROLE " + role);
            }
        }
    }

    @Test
    void unreachableTargetIsExplainedWithoutThePassword() {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute("CREATE SEQUENCE s", "SELECT nextval('s')");
            PgUrl nowhere = PgUrl.parse("target.url", "postgres://stage:hunter2@127.0.0.1:1/stage");
            assertThatThrownBy(() -> new SequenceSync(source.url(), nowhere, TableFilter.all()).sync())
                    .isInstanceOfSatisfying(
                            SluiceException.class,
                            e -> assertThat(e.reason()).isEqualTo(SluiceException.Reason.TARGET_UNREACHABLE))
                    .hasMessageContaining("Cannot reach the target server at postgres://stage:***@127.0.0.1:1/stage")
                    .hasMessageNotContaining("hunter2");
        }
    }

    private static long nextval(TestDatabase db, String regclass) {
        return Long.parseLong(db.queryForString("SELECT nextval(" + regclass + ")"));
    }
}
