package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SnapshotCopier;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Copy under the slot's exported snapshot, then stream the slot from its consistent point, while
 * the source takes writes the whole time: the target ends equal to the source, with no change lost
 * (a gap) and none applied twice (a duplicate row in a keyless table, or a key violation).
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SnapshotThenStreamTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
        "CREATE TABLE ledger (account int, amount bigint)",
        "ALTER TABLE ledger REPLICA IDENTITY FULL",
        Replication.MARKER_DDL
    };

    @Test
    void snapshotThenStreamHasNoGapAndNoDuplicate() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute(
                    "INSERT INTO accounts SELECT i, 0 FROM generate_series(1, 1000) i",
                    "INSERT INTO ledger SELECT i % 1000 + 1, i FROM generate_series(1, 200000) i",
                    "CREATE PUBLICATION sluice FOR ALL TABLES");
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong transactions = new AtomicLong();
            Thread writer = new Thread(() -> write(source, stop, transactions), "writer");
            writer.start();
            try {
                long beforeSnapshot;
                try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(source.url(), "sluice")) {
                    beforeSnapshot = transactions.get();
                    new SnapshotCopier(new SnapshotCopier.Config(source.url(), target.url(), 2, 64, List.of()))
                            .copy(
                                    snapshot,
                                    List.of(
                                            new TableId("public", "accounts"),
                                            new TableId("public", "ledger"),
                                            new TableId("public", "sluice_test_marker")));
                }
                replication.start();
                Thread.sleep(1_000);
                stop.set(true);
                writer.join();
                assertThat(transactions.get() - beforeSnapshot)
                        .as("writes during and after the copy")
                        .isGreaterThan(50);
                replication.awaitCaughtUp(Duration.ofMinutes(1));
                replication.assertSameData("accounts", "ledger");
                assertThat(target.queryForString("SELECT sum(balance) FROM accounts"))
                        .isEqualTo("0");
            } finally {
                stop.set(true);
                writer.join();
            }
        }
    }

    /** Moves money between accounts and logs each move, in one transaction each. */
    private static void write(TestDatabase source, AtomicBoolean stop, AtomicLong transactions) {
        try (Connection c = source.connect()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (int i = 0; !stop.get(); i++) {
                    int from = 1 + i % 1000;
                    int to = 1 + (i * 7) % 1000;
                    st.execute("UPDATE accounts SET balance = balance - 5 WHERE id = " + from);
                    st.execute("UPDATE accounts SET balance = balance + 5 WHERE id = " + to);
                    st.execute("INSERT INTO ledger VALUES (" + from + ", -5), (" + to + ", 5)");
                    c.commit();
                    transactions.incrementAndGet();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
