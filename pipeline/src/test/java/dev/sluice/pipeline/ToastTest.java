package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Values of several megabytes stream through, and an update that leaves them unchanged keeps the target's copy. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ToastTest {

    /** About 5 MB of text that does not compress, so PostgreSQL stores it out of line. */
    private static final String BIG = "(SELECT string_agg(md5(i::text || %s), '') FROM generate_series(1, 160000) i)";

    @Test
    void updateOfUnchangedToastColumnKeepsTargetValue() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)
                        .schema("CREATE TABLE docs (id int PRIMARY KEY, body text, meta jsonb, counter int)")
                        .start()) {
            source.execute(
                    "INSERT INTO docs VALUES (1, " + BIG.formatted("'a'") + ", jsonb_build_object('big', "
                            + BIG.formatted("'m'") + "), 0)",
                    "INSERT INTO docs VALUES (2, " + BIG.formatted("'b'") + ", '{}', 0)");
            assertThat(source.queryForString("SELECT length(body) FROM docs WHERE id = 1"))
                    .isEqualTo("5120000");
            // Only the small column changes: pgoutput does not send the unchanged TOASTed ones.
            source.execute(
                    "UPDATE docs SET counter = counter + 1",
                    "UPDATE docs SET counter = counter + 1 WHERE id = 1",
                    "UPDATE docs SET body = " + BIG.formatted("'c'") + " WHERE id = 2");

            replication.awaitCaughtUp(Duration.ofMinutes(1));
            replication.assertSameData("docs");
            assertThat(target.queryForString(
                            "SELECT counter || ':' || length(body) || ':' || md5(body) FROM docs" + " WHERE id = 1"))
                    .isEqualTo(source.queryForString(
                            "SELECT counter || ':' || length(body) || ':' || md5(body)" + " FROM docs WHERE id = 1"));
        }
    }
}
