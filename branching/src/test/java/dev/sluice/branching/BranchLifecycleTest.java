package dev.sluice.branching;

import static dev.sluice.branching.BranchStoreTest.execute;
import static dev.sluice.branching.BranchStoreTest.queryLong;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What happens to branches over time: restarts of the store, idleness, expiry. Each test has its own store. */
@Timeout(120)
class BranchLifecycleTest {

    @Test
    void reopenedStoreBringsBranchesBackStoppedWithTheSameUrlAndData() throws Exception {
        Path root = TestStores.newRoot("reopen");
        try {
            Branch created;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThatThrownBy(() -> BranchStore.open(root, TestStores.options()))
                        .as("one store, one process")
                        .isInstanceOf(SluiceException.class)
                        .hasMessageContaining("already open");
                execute(store.mainWriterUrl(), "CREATE TABLE t (x int)");
                created = store.create(new BranchSpec("kept", Branch.MAIN, Optional.of(Duration.ofDays(1)), false));
                execute(created.url(), "INSERT INTO t VALUES (7)");
            }
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                Branch back = store.find("kept").orElseThrow();
                assertThat(back.state()).isEqualTo(BranchState.STOPPED);
                assertThat(back.url().toUrlWithPassword())
                        .isEqualTo(created.url().toUrlWithPassword());
                assertThat(back.createdAt()).isEqualTo(created.createdAt());
                assertThat(back.expiresAt()).isEqualTo(created.expiresAt());
                assertThat(back.parent()).contains(Branch.MAIN);

                assertThat(queryLong(back.url(), "SELECT x FROM t")).isEqualTo(7);
                assertThat(store.find("kept").orElseThrow().state()).isEqualTo(BranchState.RUNNING);
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void storeInThePlainTempDirectoryFallsBackToFullCopiesAndSaysSo() throws Exception {
        // In CI the other tests run on a reflink XFS; this one keeps the full-copy path tested there too.
        Path root = TestStores.newPlainRoot("plain");
        try (BranchStore store = BranchStore.open(root, TestStores.options())) {
            execute(store.mainWriterUrl(), "CREATE TABLE t (x int)", "INSERT INTO t VALUES (3)");
            Branch branch = store.create(BranchSpec.of("copy"));

            assertThat(branch.copyOnWrite()).isEqualTo(store.copyOnWrite());
            assertThat(store.filesystemDescription())
                    .endsWith(
                            store.copyOnWrite()
                                    ? "reflink copy-on-write"
                                    : "no copy-on-write: branches are full copies");
            assertThat(queryLong(branch.url(), "SELECT x FROM t")).isEqualTo(3);
            execute(branch.url(), "UPDATE t SET x = 4");
            assertThat(queryLong(store.mainWriterUrl(), "SELECT x FROM t")).isEqualTo(3);
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void resetsAndDeletesCutShortByACrashAreFinishedOrUndoneWhenTheStoreOpens() throws Exception {
        Path root = TestStores.newRoot("cut-short");
        try {
            Branch committed;
            Branch rolledBack;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                execute(store.mainWriterUrl(), "CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)");
                committed = store.create(BranchSpec.of("committed"));
                rolledBack = store.create(BranchSpec.of("rolled-back"));
                store.create(BranchSpec.of("deleted"));
                execute(store.mainWriterUrl(), "INSERT INTO t VALUES (2)");
                store.reset("committed");
            }
            Path branches = root.resolve("branches");
            // Killed while deleting the data a finished reset replaced: a part of it is left.
            Path discarded = Files.createDirectories(branches.resolve("committed/data.discarded/base"));
            Files.writeString(discarded.resolve("leftover"), "half deleted");
            // Killed after moving the data aside, before the new data was ready: a reset to undo.
            Files.move(branches.resolve("rolled-back/data"), branches.resolve("rolled-back/data.old"));
            Files.createDirectories(branches.resolve("rolled-back/data/base"));
            // Killed while deleting a branch: its record goes first, then its data.
            Files.delete(branches.resolve("deleted/branch.json"));
            FileTrees.delete(branches.resolve("deleted/data/base"));

            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThat(queryLong(committed.url(), "SELECT count(*) FROM t")).isEqualTo(2);
                assertThat(branches.resolve("committed/data.discarded")).doesNotExist();
                assertThat(queryLong(rolledBack.url(), "SELECT count(*) FROM t"))
                        .isEqualTo(1);
                assertThat(branches.resolve("rolled-back/data.old")).doesNotExist();
                assertThat(store.find("deleted")).isEmpty();
                assertThat(branches.resolve("deleted")).doesNotExist();
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void anUnreadableBranchRecordStopsTheStoreOpeningWithWhatToDoAndWithoutItsPassword() throws Exception {
        Path root = TestStores.newRoot("unreadable");
        try {
            Branch kept;
            String password;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                kept = store.create(BranchSpec.of("kept"));
                password =
                        store.create(BranchSpec.of("broken")).url().properties().getProperty("password");
            }
            Path broken = root.resolve("branches/broken");
            Path record = broken.resolve("branch.json");
            // The password's quotes lost: a JSON parser's own message would quote the bare word.
            Files.writeString(record, Files.readString(record).replace('"' + password + '"', password));

            assertThatThrownBy(() -> BranchStore.open(root, TestStores.options()))
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("the record of branch 'broken' (" + record + ") cannot be read")
                    .hasMessageContaining("move the directory " + broken + " out of " + broken.getParent())
                    .hasMessageContaining("not the JSON expected (line ")
                    .satisfies(e -> {
                        for (Throwable t = e; t != null; t = t.getCause()) {
                            assertThat(String.valueOf(t.getMessage())).doesNotContain(password);
                        }
                    });

            Files.move(broken, root.resolve("broken-aside"));
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThat(store.find("broken")).isEmpty();
                assertThat(queryLong(kept.url(), "SELECT 1"))
                        .as("the other branch, served")
                        .isEqualTo(1);
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void closeWaitsForACreateInProgressAndLeavesNothingServed() throws Exception {
        Path root = TestStores.newRoot("close-waits");
        try {
            BranchStore store = BranchStore.open(root, TestStores.options());
            HeldStep held = new HeldStep(store, "prepared");
            CompletableFuture<Branch> creating = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                try {
                    creating.complete(store.create(BranchSpec.of("late")));
                } catch (RuntimeException e) {
                    creating.completeExceptionally(e);
                }
            });
            assertThat(held.reached()).isTrue();
            CompletableFuture<Void> closing = new CompletableFuture<>();
            Thread.ofPlatform().start(() -> {
                store.close();
                closing.complete(null);
            });
            Thread.sleep(500);
            assertThat(closing).as("close, while a create is in progress").isNotDone();

            held.release();
            Branch late = creating.get(1, TimeUnit.MINUTES);
            closing.get(1, TimeUnit.MINUTES);

            assertThatThrownBy(() -> new Socket(
                                    InetAddress.getLoopbackAddress(), late.url().port())
                            .close())
                    .as("the created branch's port, once the store is closed")
                    .isInstanceOf(ConnectException.class);
            assertThatThrownBy(() -> store.create(BranchSpec.of("after")))
                    .isInstanceOf(BranchException.class)
                    .hasMessageContaining("is closed");
            try (BranchStore again = BranchStore.open(root, TestStores.options())) {
                assertThat(again.find("late").map(Branch::state)).contains(BranchState.STOPPED);
                assertThat(queryLong(late.url(), "SELECT 1")).isEqualTo(1);
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void postmastersLeftByADeadProcessAreStoppedWhenTheStoreOpens() throws Exception {
        Path root = TestStores.newRoot("orphans");
        try {
            Branch branch;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                execute(store.mainWriterUrl(), "CREATE TABLE t (x int)", "INSERT INTO t VALUES (5)");
                branch = store.create(BranchSpec.of("orphaned"));
            }
            // What a SIGKILLed store leaves: its postmasters still running on the store's data.
            LocalPostgres orphanMain =
                    LocalPostgres.builder(root.resolve("main/data")).start();
            LocalPostgres orphanBranch = LocalPostgres.builder(root.resolve("branches/orphaned/data"))
                    .start();
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThat(orphanMain.isRunning()).isFalse();
                assertThat(orphanBranch.isRunning()).isFalse();
                assertThat(queryLong(store.mainWriterUrl(), "SELECT x FROM t")).isEqualTo(5);
                assertThat(queryLong(branch.url(), "SELECT x FROM t")).isEqualTo(5);
            } finally {
                orphanMain.stop();
                orphanBranch.stop();
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void portTakenAtReopenFailsOnlyThatBranch() throws Exception {
        Path root = TestStores.newRoot("taken-port");
        try {
            Branch blocked;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                blocked = store.create(BranchSpec.of("blocked"));
                store.create(BranchSpec.of("fine"));
            }
            try (ServerSocket squatter = new ServerSocket(
                            blocked.url().port(),
                            1,
                            InetAddress.getByName(blocked.url().host()));
                    BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThat(squatter.isBound()).isTrue();
                assertThat(store.find("blocked").orElseThrow().state()).isEqualTo(BranchState.FAILED);
                assertThat(queryLong(store.find("fine").orElseThrow().url(), "SELECT 1"))
                        .isEqualTo(1);
                assertThat(store.delete("blocked", false)).isTrue();
            }
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void idleBranchStopsAndTheNextConnectionWakesIt() throws Exception {
        Path root = TestStores.newRoot("idle");
        StoreOptions options =
                TestStores.options().withIdleStop(Duration.ofMillis(800)).withReaperInterval(Duration.ofMillis(100));
        try (BranchStore store = BranchStore.open(root, options)) {
            execute(store.mainWriterUrl(), "CREATE TABLE t (x int)", "INSERT INTO t VALUES (1)");
            Branch branch = store.create(BranchSpec.of("sleepy"));

            try (Connection held = TestStores.connect(branch.url())) {
                Thread.sleep(1_500);
                assertThat(state(store, "sleepy"))
                        .as("an open connection keeps the branch up")
                        .isEqualTo(BranchState.RUNNING);
                assertThat(held.isValid(5)).isTrue();
            }
            await(() -> state(store, "sleepy") == BranchState.STOPPED, "the idle branch stops");

            long started = System.nanoTime();
            assertThat(queryLong(branch.url(), "SELECT x FROM t")).isEqualTo(1);
            long wakeMillis = (System.nanoTime() - started) / 1_000_000;
            assertThat(state(store, "sleepy")).isEqualTo(BranchState.RUNNING);
            System.out.println("wake on connect and first query took " + wakeMillis + " ms");
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void reaperDeletesExpiredBranchesAndKeepsTheOthers() throws Exception {
        Path root = TestStores.newRoot("ttl");
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        StoreOptions options = TestStores.options().withClock(clock).withReaperInterval(Duration.ofMillis(100));
        try (BranchStore store = BranchStore.open(root, options)) {
            Branch expiring =
                    store.create(new BranchSpec("expiring", Branch.MAIN, Optional.of(Duration.ofHours(1)), false));
            store.create(new BranchSpec("later", Branch.MAIN, Optional.of(Duration.ofHours(3)), false));
            store.create(BranchSpec.of("forever"));
            assertThat(expiring.expiresAt()).contains(Instant.parse("2026-01-01T01:00:00Z"));

            clock.advance(Duration.ofMinutes(59));
            Thread.sleep(500);
            assertThat(store.find("expiring")).as("not expired yet").isPresent();

            clock.advance(Duration.ofMinutes(2));
            await(() -> store.find("expiring").isEmpty(), "the reaper deletes the expired branch");
            assertThat(root.resolve("branches").resolve("expiring")).doesNotExist();
            assertThat(store.find("later")).isPresent();
            assertThat(store.find("forever")).isPresent();
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void reaperLeavesABranchCreatedAgainUnderTheNameOfOneThatExpired() throws Exception {
        Path root = TestStores.newRoot("ttl-race");
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        StoreOptions options = TestStores.options().withClock(clock).withReaperInterval(Duration.ofHours(1));
        try (BranchStore store = BranchStore.open(root, options)) {
            store.create(new BranchSpec("pr-42", Branch.MAIN, Optional.of(Duration.ofHours(1)), false));
            clock.advance(Duration.ofHours(2));
            AtomicBoolean recreated = new AtomicBoolean();
            // CI deletes the expired branch and creates it again while the reaper is on its way to it.
            store.onStep(step -> {
                if (step.equals("maintain-listed") && !recreated.getAndSet(true)) {
                    store.delete("pr-42", true);
                    store.create(new BranchSpec("pr-42", Branch.MAIN, Optional.of(Duration.ofDays(1)), false));
                }
            });

            store.maintain();

            assertThat(recreated).isTrue();
            assertThat(store.find("pr-42").flatMap(Branch::expiresAt))
                    .as("the branch created again, with its new ttl")
                    .contains(Instant.parse("2026-01-02T02:00:00Z"));
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void reaperMovesServerLogsPastTheirLimitAsideAndTheServersGoOnLoggingToTheEmptiedFile() throws Exception {
        Path root = TestStores.newRoot("logs");
        StoreOptions options =
                TestStores.options().withServerLogLimit(64 * 1024).withReaperInterval(Duration.ofMillis(100));
        try (BranchStore store = BranchStore.open(root, options)) {
            Branch branch = store.create(BranchSpec.of("chatty"));
            Path mainLog = root.resolve("main").resolve("server.log");
            Path branchLog = root.resolve("branches").resolve("chatty").resolve("server.log");

            for (var server : List.of(Map.entry(store.mainWriterUrl(), mainLog), Map.entry(branch.url(), branchLog))) {
                // About 200 KB of log lines, three times the limit.
                execute(
                        server.getKey(),
                        "DO $$ BEGIN FOR i IN 1..4000 LOOP RAISE LOG 'filler line %', i; END LOOP; END $$");
                Path log = server.getValue();
                Path previous = log.resolveSibling("server.log.1");
                await(() -> contains(previous, "filler line 4000"), "the reaper moves " + log + " aside");

                execute(server.getKey(), "DO $$ BEGIN RAISE LOG 'written after the move'; END $$");
                await(() -> contains(log, "written after the move"), "the server goes on logging to " + log);
                assertThat(Files.readString(log)).doesNotContain("filler line 4000");
                assertThat(Files.size(log)).isLessThan(64 * 1024);
            }
            assertThat(store.find("chatty").orElseThrow().state()).isEqualTo(BranchState.RUNNING);
        } finally {
            TestStores.delete(root);
        }
    }

    private static boolean contains(Path file, String text) {
        try {
            return Files.exists(file) && Files.readString(file).contains(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static BranchState state(BranchStore store, String name) {
        return store.find(name).orElseThrow().state();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
