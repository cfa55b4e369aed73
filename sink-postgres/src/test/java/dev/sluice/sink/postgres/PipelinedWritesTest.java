package dev.sluice.sink.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.Column;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Checkpoint;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The sink writes and commits on a thread of its own while the caller folds the next changes.
 * Moving the commit off the caller's thread must not move anything the exactly-once promise rests
 * on: the checkpoint hears of a transaction only once the target holds it, a failed write stops
 * everything after it, and closing keeps complete transactions and drops the open one.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class PipelinedWritesTest {

    private static final Relation ITEMS = new Relation(
            16_384,
            new TableId("public", "items"),
            ReplicaIdentity.DEFAULT,
            List.of(new Column("id", 23, -1, true), new Column("qty", 23, -1, false)));

    private static final String SCHEMA = "CREATE TABLE items (id int PRIMARY KEY, qty int NOT NULL CHECK (qty >= 0))";

    /** Transaction {@code n} of the test, with its rows; its commit lies at position {@code n * 1000}. */
    private record Transaction(long xid, List<Integer> ids, int qty) {

        static Transaction of(int n, int rows) {
            return of(n, rows, 1);
        }

        static Transaction of(int n, int rows, int qty) {
            List<Integer> ids = new ArrayList<>();
            for (int i = 0; i < rows; i++) {
                ids.add(n * 100_000 + i);
            }
            return new Transaction(n, ids, qty);
        }

        Begin begin() {
            return new Begin(xid, new Lsn(xid * 1000), Instant.EPOCH);
        }

        Commit commit() {
            return new Commit(new Lsn(xid * 1000), end(), Instant.EPOCH);
        }

        Lsn end() {
            return new Lsn(xid * 1000 + 8);
        }

        void rowsTo(PostgresSink sink) {
            for (int id : ids) {
                sink.accept(new Insert(ITEMS, Tuple.wrap(new String[] {Integer.toString(id), Integer.toString(qty)})));
            }
        }

        void to(PostgresSink sink) {
            sink.accept(begin());
            rowsTo(sink);
            sink.accept(commit());
        }
    }

    /** Records what it is told and checks, each time, that the target already holds it. */
    private static final class CheckedCheckpoint implements Checkpoint {
        private final TestDatabase target;
        private final Thread caller = Thread.currentThread();
        final List<Lsn> told = new ArrayList<>();

        CheckedCheckpoint(TestDatabase target) {
            this.target = target;
        }

        @Override
        public void durable(Lsn endLsn) {
            assertThat(Thread.currentThread())
                    .as("thread the checkpoint is told on")
                    .isSameAs(caller);
            Lsn committed = Lsn.parse(target.queryForString("SELECT end_lsn::text FROM sluice.progress"));
            assertThat(committed)
                    .as("position committed on the target when the checkpoint is told %s", endLsn)
                    .isGreaterThanOrEqualTo(endLsn);
            told.add(endLsn);
        }
    }

    /** A sink started on a target with the test's table, in units of 100 rows; groups close on rows only. */
    private static PostgresSink startedSink(TestDatabase target, CheckedCheckpoint checkpoint, int groupMaxRows) {
        target.execute(SCHEMA);
        PostgresSink sink = new PostgresSink(new PostgresSinkConfig(
                target.url(), "pipelined", 100, groupMaxRows, Duration.ofHours(1), "test-source"));
        sink.start(checkpoint);
        return sink;
    }

    @Test
    void checkpointHearsOfTransactionsOnTheCallersThreadOnlyOnceTheTargetCommittedThem() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            List<Transaction> transactions = new ArrayList<>();
            try (PostgresSink sink = startedSink(target, checkpoint, 1)) {
                for (int n = 1; n <= 20; n++) {
                    // Five units each, one target transaction each: the writer is always busy behind the caller.
                    Transaction tx = Transaction.of(n, 500);
                    tx.to(sink);
                    transactions.add(tx);
                }
            }

            assertThat(checkpoint.told).isNotEmpty().isSorted();
            assertThat(checkpoint.told.getLast())
                    .isEqualTo(transactions.getLast().end());
            assertThat(target.queryForString("SELECT count(*) FROM items")).isEqualTo("10000");
        }
    }

    @Test
    void aFailedWriteSurfacesFromALaterCallAndNothingAfterItReachesTheTarget() throws InterruptedException {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction first = Transaction.of(1, 300);
            Transaction rejected = Transaction.of(2, 300, -1);
            Transaction after = Transaction.of(3, 300);
            PostgresSink sink = startedSink(target, checkpoint, 1);
            first.to(sink);

            Throwable thrown = failureOf(sink, rejected, after);
            sink.close();

            assertThat(thrown)
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("source transactions up to 2 ")
                    .hasMessageContaining("items_qty_check")
                    .hasMessageContaining("SQLSTATE 23514");
            assertThat(rowsPerTransaction(target)).containsExactly("1:300");
            assertThat(target.queryForString("SELECT end_lsn::text FROM sluice.progress"))
                    .isEqualTo(first.end().toString());
            assertThat(checkpoint.told).containsExactly(first.end());
        }
    }

    @Test
    void aConnectionTheTargetDropsIsReportedAsLostNamingOnlyWhatWasBeingWritten() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction first = Transaction.of(1, 100);
            Transaction second = Transaction.of(2, 100);
            // Nothing commits on its own: a group closes on rows only, and this one never fills.
            PostgresSink sink = startedSink(target, checkpoint, 1_000_000);
            first.to(sink);
            awaitWriterDoneWithItsUnit(target);
            target.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    + " WHERE datname = current_database() AND pid <> pg_backend_pid()");

            Throwable thrown = failureOf(sink, second);
            sink.close();

            // The statement that failed was the unit's savepoint: no rows were being written, and no
            // description of an earlier write may pretend otherwise.
            assertThat(thrown)
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("Lost the target transaction")
                    .hasMessageContaining("source transactions up to 2 (commit "
                            + second.begin().commitLsn() + "): ");
            assertThat(rowsPerTransaction(target)).isEmpty();
            assertThat(checkpoint.told).isEmpty();
        }
    }

    @Test
    void closingBetweenTransactionsCommitsEveryTransactionStillGrouped() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction first = Transaction.of(1, 1000);
            Transaction second = Transaction.of(2, 1000);
            PostgresSink sink = startedSink(target, checkpoint, 1_000_000);
            first.to(sink);
            second.to(sink);
            sink.close();

            assertThat(rowsPerTransaction(target)).containsExactly("1:1000", "2:1000");
            assertThat(checkpoint.told).containsExactly(second.end());
        }
    }

    @Test
    void closingInsideATransactionRollsItBackAndKeepsTheCommitQueuedBeforeIt() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction complete = Transaction.of(1, 1000);
            Transaction open = Transaction.of(2, 1000);
            // The first transaction fills its group, so its commit is queued behind its units.
            PostgresSink sink = startedSink(target, checkpoint, 1000);
            complete.to(sink);
            sink.accept(open.begin());
            open.rowsTo(sink);
            sink.close();

            assertThat(rowsPerTransaction(target)).containsExactly("1:1000");
            assertThat(target.queryForString("SELECT end_lsn::text FROM sluice.progress"))
                    .isEqualTo(complete.end().toString());
            assertThat(checkpoint.told).containsExactly(complete.end());
        }
    }

    @Test
    void closeThrowsAWriteFailureThatNoEarlierCallReported() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction first = Transaction.of(1, 1000);
            Transaction rejected = Transaction.of(2, 5, -1);
            // The first transaction fills its group; the rejected one waits in the next until close.
            PostgresSink sink = startedSink(target, checkpoint, 1000);
            first.to(sink);
            rejected.to(sink);

            // A Kafka partition closes its sink at a barrier and goes on with a new one: a failure
            // only logged here would let it move past changes the target never got.
            assertThatThrownBy(sink::close)
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("source transactions up to 2 ")
                    .hasMessageContaining("items_qty_check");
            assertThat(rowsPerTransaction(target)).containsExactly("1:1000");
            assertThat(checkpoint.told).containsExactly(first.end());
        }
    }

    @Test
    void closingWithAPendingInterruptStillCommitsTheGroupAndKeepsTheInterrupt() {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            CheckedCheckpoint checkpoint = new CheckedCheckpoint(target);
            Transaction first = Transaction.of(1, 500);
            Transaction second = Transaction.of(2, 500);
            PostgresSink sink = startedSink(target, checkpoint, 1_000_000);
            first.to(sink);
            second.to(sink);
            Thread.currentThread().interrupt();
            try {
                sink.close();
            } finally {
                assertThat(Thread.interrupted())
                        .as("interrupt still pending after close")
                        .isTrue();
            }

            assertThat(rowsPerTransaction(target)).containsExactly("1:500", "2:500");
            assertThat(checkpoint.told).containsExactly(second.end());
        }
    }

    /**
     * Feeds the transactions, then idles for up to 30 s: a failure on the writer thread surfaces from
     * one of these calls, which is what is returned (null if none did).
     */
    private static Throwable failureOf(PostgresSink sink, Transaction... transactions) {
        return catchThrowable(() -> {
            for (Transaction tx : transactions) {
                tx.to(sink);
            }
            for (int i = 0; i < 3000; i++) {
                sink.idle();
                Thread.sleep(10);
            }
        });
    }

    /** The transaction's one unit is written set-wise under a savepoint, which the writer releases last. */
    private static void awaitWriterDoneWithItsUnit(TestDatabase target) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (target.queryForList("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND state = 'idle in transaction' AND query LIKE 'RELEASE SAVEPOINT%'")
                .isEmpty()) {
            assertThat(System.nanoTime()).as("the writer is done with its unit").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    /** The transactions the target holds rows of, each with its row count. */
    private static List<String> rowsPerTransaction(TestDatabase target) {
        return target.queryForList(
                "SELECT (id / 100000) || ':' || count(*) FROM items GROUP BY id / 100000 ORDER BY 1");
    }
}
