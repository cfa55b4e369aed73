package dev.sluice.branching;

import static dev.sluice.branching.BranchStoreTest.execute;
import static dev.sluice.branching.BranchStoreTest.queryLong;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.localpg.LocalPostgres;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** main's postmaster dying while the store is open, and the store closing. Each test has its own store. */
@Timeout(180)
class MainSupervisionTest {

    @Test
    void mainKilledWithSigkillRunsAgainWithItsCommittedRowsAndCanBeBranched() throws Exception {
        Path root = TestStores.newRoot("main-killed");
        try (BranchStore store = BranchStore.open(root, TestStores.options())) {
            // Committed durably despite the test servers' synchronous_commit = off: its WAL must be written.
            execute(
                    store.mainWriterUrl(),
                    "SET synchronous_commit = on",
                    "CREATE TABLE kept (id int PRIMARY KEY)",
                    "INSERT INTO kept SELECT generate_series(1, 1000)");
            long killed = postmasterPid(root).orElseThrow();
            // A writer connected at the time, as the pipeline is: its backend outlives the postmaster briefly.
            try (Connection writer = TestStores.connect(store.mainWriterUrl())) {
                ProcessHandle.of(killed).orElseThrow().destroyForcibly(); // SIGKILL, as the OOM killer sends

                assertThat(awaitRowCount(store, Duration.ofSeconds(90)))
                        .as("rows in main after its restart")
                        .isEqualTo(1000);
                assertThat(writer.isValid(5))
                        .as("the connection to the killed server")
                        .isFalse();
            }
            assertThat(postmasterPid(root)).isPresent().get().isNotEqualTo(killed);
            assertThat(ProcessHandle.of(killed).filter(ProcessHandle::isAlive)).isEmpty();
            // Clients may connect a moment before the supervisor counts the restart.
            MainRestarts restarts = awaitRestarts(store);
            assertThat(restarts.count()).isEqualTo(1);
            assertThat(restarts.last()).isPresent();
            assertThat(store.find(Branch.MAIN).orElseThrow().state()).isEqualTo(BranchState.RUNNING);

            Branch branch = store.create(BranchSpec.of("after-restart"));
            assertThat(queryLong(branch.url(), "SELECT count(*) FROM kept")).isEqualTo(1000);
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void mainWhoseRestartFailsIsTriedAgainUntilItRuns() throws Exception {
        Path root = TestStores.newRoot("main-retried");
        try (BranchStore store = BranchStore.open(root, TestStores.options())) {
            execute(
                    store.mainWriterUrl(),
                    "SET synchronous_commit = on",
                    "CREATE TABLE kept (id int)",
                    "INSERT INTO kept VALUES (1)");
            int port = store.mainWriterUrl().port();
            ProcessHandle postmaster =
                    ProcessHandle.of(postmasterPid(root).orElseThrow()).orElseThrow();

            postmaster.destroyForcibly();
            postmaster.onExit().get(30, TimeUnit.SECONDS);
            // main keeps its port, so that clients reconnect: while another program holds it, starts fail.
            try (ServerSocket squatter = bindWhenFree(port)) {
                assertThat(squatter.getLocalPort()).isEqualTo(port);
                Thread.sleep(MainSupervisor.FIRST_BACKOFF.multipliedBy(4).toMillis());
                assertThat(store.mainRestarts().count())
                        .as("restarts while the port is taken")
                        .isZero();
                assertThat(store.find(Branch.MAIN).orElseThrow().state()).isEqualTo(BranchState.STOPPED);
            }

            assertThat(awaitRowCount(store, Duration.ofSeconds(90))).isEqualTo(1);
            assertThat(awaitRestarts(store).count()).isEqualTo(1);
            assertThat(store.mainWriterUrl().port()).isEqualTo(port);
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void closingTheStoreStopsMainForGood() throws Exception {
        Path root = TestStores.newRoot("main-closed");
        try {
            long pid;
            try (BranchStore store = BranchStore.open(root, TestStores.options())) {
                assertThat(store.find(Branch.MAIN).orElseThrow().state()).isEqualTo(BranchState.RUNNING);
                pid = postmasterPid(root).orElseThrow();
            }
            // Several of the supervisor's check intervals: a supervisor still at work would have restarted main.
            Thread.sleep(MainSupervisor.CHECK_INTERVAL.multipliedBy(4).toMillis());

            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).isEmpty();
            assertThat(postmasterPid(root))
                    .as("a postmaster on main's data after close")
                    .isEmpty();
            assertThat(Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("sluice-main-supervisor") && t.isAlive()))
                    .as("supervisor threads still alive")
                    .isEmpty();
        } finally {
            TestStores.delete(root);
        }
    }

    @Test
    void logTailLeavesOutLinesThatQuoteSql() throws Exception {
        Path log = Files.createTempFile("server", ".log");
        try {
            Files.writeString(log, """
                    2026-11-21 09:00:00 UTC [7] LOG:  database system is ready to accept connections
                    2026-11-21 09:00:01 UTC [9] ERROR:  duplicate key value violates unique constraint "kept_pkey"
                    2026-11-21 09:00:01 UTC [9] STATEMENT:  INSERT INTO kept VALUES ('secret-value')
                    2026-11-21 09:00:01 UTC [9] DETAIL:  Key (id)=(secret-key) already exists.
                    2026-11-21 09:00:02 UTC [7] LOG:  server process (PID 9) was terminated by signal 9: Killed
                    2026-11-21 09:00:02 UTC [7] DETAIL:  Failed process was running: SELECT 'secret-value'
                    """);

            String tail = MainSupervisor.logTail(log);

            assertThat(tail)
                    .doesNotContain("secret-value", "secret-key")
                    .contains("terminated by signal 9", "ready to accept");
        } finally {
            Files.delete(log);
        }
    }

    /** The pid of the postmaster running on main's data directory, if any. */
    private static Optional<Long> postmasterPid(Path root) throws Exception {
        Path pidFile = root.resolve("main/data/postmaster.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
        return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
    }

    private static ServerSocket bindWhenFree(int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return new ServerSocket(port, 1, InetAddress.getByName(LocalPostgres.HOST));
            } catch (BindException e) {
                assertThat(System.nanoTime())
                        .as("port %s free after the kill", port)
                        .isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    private static MainRestarts awaitRestarts(BranchStore store) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (store.mainRestarts().count() == 0) {
            assertThat(System.nanoTime()).as("a restart counted").isLessThan(deadline);
            Thread.sleep(10);
        }
        return store.mainRestarts();
    }

    private static long awaitRowCount(BranchStore store, Duration patience) throws InterruptedException {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            try {
                return queryLong(store.mainWriterUrl(), "SELECT count(*) FROM kept");
            } catch (SQLException e) {
                assertThat(System.nanoTime())
                        .as("main accepting connections again: %s", e.getMessage())
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }
}
