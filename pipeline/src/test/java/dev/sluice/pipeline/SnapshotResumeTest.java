package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `sluice run` killed with SIGKILL in the middle of its snapshot, while the source keeps writing to
 * every table, resumes: the tables it had finished are kept as they are, the unfinished one is
 * copied again, and after streaming catches up the target equals the source — no row lost, none
 * applied twice, although changes to the re-copied table between the slot's start and the new copy
 * are both in that copy and in the stream.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class SnapshotResumeTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE customers (id int PRIMARY KEY, email text NOT NULL)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id int NOT NULL REFERENCES customers,"
                + " total numeric(10, 2))",
        "CREATE INDEX orders_by_customer ON orders (customer_id)",
        // Slows the copy of one table down, on the target only, while the test asks for it: the
        // check runs for every row COPY writes, under the copy's application name.
        "CREATE FUNCTION copy_pace() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN"
                + " IF current_setting('sluice_test.slow', true) = 'on'"
                + " AND current_setting('application_name') = 'sluice-copy' THEN PERFORM pg_sleep(0.002); END IF;"
                + " RETURN true; END $$",
        "CREATE TABLE paced (id int PRIMARY KEY, v text, CONSTRAINT paced_copy CHECK (copy_pace()))",
        Replication.MARKER_DDL
    };

    @Test
    void killedMidSnapshotKeepsFinishedTablesAndCopiesTheRestWithoutDuplicates() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            source.execute(SCHEMA);
            source.execute(
                    "INSERT INTO customers SELECT i, 'c' || i || '@example.com' FROM generate_series(1, 2000) i",
                    "INSERT INTO orders (customer_id, total) SELECT 1 + i % 2000, i FROM generate_series(1, 20000) i",
                    "INSERT INTO paced SELECT i, 'p' || i FROM generate_series(1, 3000) i",
                    "ANALYZE");
            target.execute("ALTER DATABASE " + target.name() + " SET sluice_test.slow = 'on'");
            Map<String, String> env = new HashMap<>(SluiceProcess.streamOnly(source, target));
            env.put("SLUICE_SNAPSHOT_MODE", "full");
            env.put("SLUICE_SNAPSHOT_WORKERS", "2");

            Map<String, String> finishedBeforeKill;
            try (Workload workload = new ShopWorkload(source)) {
                workload.start();
                try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                    finishedBeforeKill = awaitTablesCopied(target, sluice, "customers", "orders");
                    sluice.kill9();
                }
                assertThat(finishedBeforeKill)
                        .as("paced was still being copied when the process died")
                        .doesNotContainKey("\"public\".\"paced\"");
                assertThat(target.queryForString("SELECT reloptions::text FROM pg_class WHERE relname = 'orders'"))
                        .as("autovacuum stays off the tables until the snapshot is done")
                        .isEqualTo("{autovacuum_enabled=false}");
                long writesBeforeRestart = workload.transactions.get();
                target.execute("ALTER DATABASE " + target.name() + " RESET sluice_test.slow");
                Thread.sleep(300);

                try (SluiceProcess sluice = SluiceProcess.start(List.of(), env, "run")) {
                    replication.awaitCaughtUp(Duration.ofMinutes(1));
                    assertThat(workload.transactions.get())
                            .as("the source kept writing across the kill")
                            .isGreaterThan(writesBeforeRestart);
                    workload.stopAndCheck();
                    replication.awaitCaughtUp(Duration.ofMinutes(1));
                    assertThat(sluice.terminate()).as("exit code after SIGTERM").isZero();
                    assertThat(sluice.output()).contains("Resuming the interrupted snapshot");
                }
            }

            Map<String, String> finishedAfter = ledger(target);
            assertThat(finishedAfter)
                    .as("tables finished before the kill were not copied again")
                    .containsAllEntriesOf(finishedBeforeKill);
            SnapshotLedger ledger = SnapshotLedger.open(target.url(), "sluice");
            Lsn slotStart = ledger.started().orElseThrow();
            assertThat(ledger.copiedTables())
                    .as("the unfinished table was copied again, as of a later position than the slot's start")
                    .hasEntrySatisfying(
                            new TableId("public", "paced"),
                            step -> assertThat(step.position()).isGreaterThan(slotStart));
            replication.assertSameData("customers", "orders", "paced");
            assertThat(target.queryForString("SELECT count(*) FROM pg_class WHERE reloptions IS NOT NULL"
                            + " AND relname IN ('customers', 'orders', 'paced')"))
                    .as("the resumed snapshot gave the tables back to autovacuum")
                    .isEqualTo("0");
            assertThat(target.queryForString("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_by_customer'"))
                    .isEqualTo("1");
            assertThat(target.queryForString("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                    .isEqualTo("1");
        }
    }

    /** Waits until the ledger shows the named tables copied, and returns every finished table with its time. */
    private static Map<String, String> awaitTablesCopied(TestDatabase target, SluiceProcess sluice, String... tables)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(sluice.isAlive())
                    .as("sluice is running; output:%n%s", sluice.output())
                    .isTrue();
            Map<String, String> done = ledger(target);
            boolean all = true;
            for (String table : tables) {
                all &= done.containsKey("\"public\".\"" + table + "\"");
            }
            if (all) {
                return done;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("tables were not copied in time; output:\n" + sluice.output());
    }

    /** Finished tables on the target, by quoted name, with when each finished. */
    private static Map<String, String> ledger(TestDatabase target) {
        Map<String, String> done = new HashMap<>();
        boolean exists = target.queryForString("SELECT to_regclass('sluice.snapshot') IS NOT NULL")
                .equals("t");
        if (!exists) {
            return done;
        }
        for (String row : target.queryForList(
                "SELECT substr(item, 7) || '|' || done_at::text FROM sluice.snapshot" + " WHERE item LIKE 'table %'")) {
            int bar = row.lastIndexOf('|');
            done.put(row.substring(0, bar), row.substring(bar + 1));
        }
        return done;
    }

    /** Transactions touching every table — new customers and orders, updates, deletes, inserts into paced. */
    private static final class ShopWorkload extends Workload {
        ShopWorkload(TestDatabase source) {
            super(source);
        }

        @Override
        Transaction prepare(Connection c) throws Exception {
            PreparedStatement customer = c.prepareStatement("INSERT INTO customers VALUES (?, ?)");
            PreparedStatement order = c.prepareStatement("INSERT INTO orders (customer_id, total) VALUES (?, ?)");
            PreparedStatement reprice = c.prepareStatement("UPDATE orders SET total = total + 1 WHERE id = ?");
            PreparedStatement insertPaced = c.prepareStatement("INSERT INTO paced VALUES (?, ?)");
            PreparedStatement updatePaced = c.prepareStatement("UPDATE paced SET v = v || '+' WHERE id = ?");
            PreparedStatement deletePaced = c.prepareStatement("DELETE FROM paced WHERE id = ?");
            ThreadLocalRandom random = ThreadLocalRandom.current();
            int[] next = {2001, 3001};
            return () -> {
                int nextCustomer = next[0]++;
                customer.setInt(1, nextCustomer);
                customer.setString(2, "new" + nextCustomer + "@example.com");
                customer.executeUpdate();
                order.setInt(1, nextCustomer);
                order.setInt(2, random.nextInt(1, 500));
                order.executeUpdate();
                reprice.setLong(1, random.nextLong(1, 20000));
                reprice.executeUpdate();
                int nextPaced = next[1]++;
                insertPaced.setInt(1, nextPaced);
                insertPaced.setString(2, "n" + nextPaced);
                insertPaced.executeUpdate();
                updatePaced.setInt(1, random.nextInt(1, next[1]));
                updatePaced.executeUpdate();
                deletePaced.setInt(1, random.nextInt(1, next[1]));
                deletePaced.executeUpdate();
                Thread.sleep(2);
            };
        }
    }
}
