package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink writes changed and removed rows set-wise, joining a stage to the target table on its
 * key. What such a statement costs must grow with the rows it changes, not with the table.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SetWiseApplyTest {

    private static final String SCHEMA =
            "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL)";

    private static final int ROWS = 20_000;

    @Test
    void changedAndRemovedRowsAreFoundByKeyWithoutReadingTheWholeTable() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(SCHEMA)) {
            replication.start();
            seedAndAnalyze(replication);
            // A thousand rows changed and five hundred removed, each in one source transaction: one
            // stage each, small next to the table, as in a stream of ordinary transactions.
            source.execute(
                    "UPDATE accounts SET balance = balance + 1 WHERE id % 20 = 0",
                    "DELETE FROM accounts WHERE id % 40 = 1");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            TableCounters counters = TableCounters.await(target, "accounts", 1_000, 500);
            assertThat(counters.rowsReadBySeqScans())
                    .as("rows of the target table read by sequential scans (a hash or merge join reads it whole)")
                    .isZero();
            assertThat(counters.indexScans())
                    .as("index scans of the target table")
                    .isPositive();
            replication.assertSameData("accounts");
        }
    }

    @Test
    void schemaChangesReplayWithTheTargetsOwnPlannerSettings() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target).schema(SCHEMA)) {
            replication.start();
            seedAndAnalyze(replication);
            source.execute(
                    "UPDATE accounts SET balance = 1 WHERE id % 20 = 0",
                    // What the planner was allowed while the target built the view's rows.
                    "CREATE MATERIALIZED VIEW planner_settings AS SELECT current_setting('enable_hashjoin') AS hash,"
                            + " current_setting('enable_mergejoin') AS merge",
                    "UPDATE accounts SET balance = 2 WHERE id % 20 = 0");
            replication.awaitCaughtUp(Duration.ofMinutes(1));

            assertThat(target.queryForString("SELECT hash || ' ' || merge FROM planner_settings"))
                    .isEqualTo("on on");
            TableCounters counters = TableCounters.await(target, "accounts", 2_000, 0);
            assertThat(counters.rowsReadBySeqScans())
                    .as("rows of the target table read by sequential scans, before and after the schema change")
                    .isZero();
            replication.assertSameData("accounts");
        }
    }

    /** Streams the table's rows and waits for them, then analyzes the target's table as autovacuum would. */
    private static void seedAndAnalyze(Replication replication) throws Exception {
        replication.source.execute(
                "INSERT INTO accounts SELECT i, 'owner ' || i, 0 FROM generate_series(1, " + ROWS + ") i");
        // Applied apart from what follows, which would otherwise be folded into these new rows.
        replication.awaitCaughtUp(Duration.ofMinutes(1));
        // With the table's statistics known, the default cost model prefers reading the whole table
        // to looking up a thousand keys.
        replication.target.execute("ANALYZE accounts");
    }

    /** The target's statistics of one table, once its backend has reported the expected writes. */
    private record TableCounters(long rowsReadBySeqScans, long indexScans) {

        static TableCounters await(TestDatabase db, String table, long updated, long deleted)
                throws InterruptedException {
            // A backend reports its counters when it goes idle, at most once a second, or when it exits.
            String writes = ROWS + " " + updated + " " + deleted;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (true) {
                // One reading, so that the scans counted belong to the writes matched.
                String[] found = db.queryForString("SELECT concat_ws(' ', n_tup_ins, n_tup_upd, n_tup_del,"
                                + " seq_tup_read, coalesce(idx_scan, 0)) FROM pg_stat_user_tables WHERE relname = '"
                                + table + "'")
                        .split(" ");
                String foundWrites = String.join(" ", found[0], found[1], found[2]);
                if (foundWrites.equals(writes)) {
                    return new TableCounters(Long.parseLong(found[3]), Long.parseLong(found[4]));
                }
                assertThat(System.nanoTime())
                        .as(
                                "statistics of %s reporting %s inserted, updated and deleted rows (found %s)",
                                table, writes, foundWrites)
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }
}
