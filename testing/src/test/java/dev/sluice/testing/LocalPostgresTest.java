package dev.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.LocalPostgres;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Servers of their own (not the shared test servers), so they can be stopped, restarted and broken. */
@Timeout(120)
class LocalPostgresTest {

    @TempDir
    Path tmp;

    @Test
    void startsAsRootAndAcceptsThePasswordOverTcp() throws SQLException {
        assumeTrue(System.getProperty("user.name").equals("root"), "this machine does not run tests as root");
        try (LocalPostgres pg = start(tmp.resolve("data"));
                Connection c = pg.jdbcConnection("postgres")) {
            assertThat(query(c, "SELECT current_user")).isEqualTo("postgres");
            assertThat(query(c, "SELECT inet_server_addr()::text")).isEqualTo("127.0.0.1/32");
        }
    }

    @Test
    void refusesAWrongPassword() {
        try (LocalPostgres pg = start(tmp.resolve("data"))) {
            Properties wrong = pg.url("postgres").properties();
            wrong.setProperty("password", pg.password() + "x");

            assertThatThrownBy(
                            () -> DriverManager.getConnection(pg.url("postgres").jdbcUrl(), wrong)
                                    .close())
                    .isInstanceOfSatisfying(
                            SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("28P01"));
        }
    }

    @Test
    void configuresLogicalDecoding() throws SQLException {
        try (LocalPostgres pg = start(tmp.resolve("data"));
                Connection c = pg.jdbcConnection("postgres")) {
            assertThat(query(c, "SHOW wal_level")).isEqualTo("logical");
            assertThat(query(c, "SHOW max_replication_slots")).isEqualTo("20");
            assertThat(query(c, "SHOW fsync")).isEqualTo("off");
        }
    }

    @Test
    void keepsDataAndPortAcrossStopAndStart() throws SQLException {
        try (LocalPostgres pg = start(tmp.resolve("data"))) {
            int port = pg.port();
            execute(pg, "CREATE TABLE kept (id int)", "INSERT INTO kept VALUES (42)");

            pg.stop();
            assertThat(pg.isRunning()).isFalse();
            pg.start();

            assertThat(pg.port()).isEqualTo(port);
            try (Connection c = pg.jdbcConnection("postgres")) {
                assertThat(query(c, "SELECT id FROM kept")).isEqualTo("42");
            }
        }
    }

    @Test
    void restartsOnAnExistingDirectoryWithItsStoredPassword() throws SQLException {
        Path data = tmp.resolve("data");
        String password;
        try (LocalPostgres first = start(data)) {
            password = first.password();
            execute(first, "CREATE TABLE kept (id int)");
        }

        try (LocalPostgres second = LocalPostgres.builder(data)
                        .settings(TestPostgres.SETTINGS)
                        .start();
                Connection c = second.jdbcConnection("postgres")) {
            assertThat(second.password()).isEqualTo(password);
            assertThat(query(c, "SELECT count(*) FROM kept")).isEqualTo("0");
        }
    }

    @Test
    void stopEndsOpenSessionsInsteadOfWaitingForThem() throws SQLException {
        try (LocalPostgres pg = start(tmp.resolve("data"));
                Connection open = pg.jdbcConnection("postgres")) {
            open.setAutoCommit(false);
            query(open, "SELECT txid_current()::text");

            pg.stop();

            assertThat(pg.isRunning()).isFalse();
            assertThat(open.isValid(2)).isFalse();
            assertThat(pg.dataDirectory().resolve("postmaster.pid")).doesNotExist();
        }
    }

    @Test
    void putsTheSocketInAShortDirectoryWhenTheDataPathIsLong() throws SQLException {
        Path deep = tmp.resolve("a-directory-name-long-enough-to-push-the-unix-socket-path-past-its-limit")
                .resolve("and-a-little-more")
                .resolve("data");
        try (LocalPostgres pg = start(deep);
                Connection c = pg.jdbcConnection("postgres")) {
            String socketDirectory = query(c, "SHOW unix_socket_directories");
            assertThat(socketDirectory).startsWith(System.getProperty("java.io.tmpdir"));
            assertThat(Path.of(socketDirectory, ".s.PGSQL." + pg.port())).exists();
        }
    }

    @Test
    void failedStartShowsTheServerLog() {
        LocalPostgres.Builder broken =
                LocalPostgres.builder(tmp.resolve("data")).setting("shared_buffers", "lots");

        assertThatThrownBy(broken::start)
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("Last lines of")
                .hasMessageContaining("shared_buffers");
    }

    @Test
    void failsClearlyWhenTheGivenPortIsTaken() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName(LocalPostgres.HOST))) {
            LocalPostgres.Builder builder = LocalPostgres.builder(tmp.resolve("data"))
                    .settings(TestPostgres.SETTINGS)
                    .port(taken.getLocalPort());

            assertThatThrownBy(builder::start)
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("on port " + taken.getLocalPort())
                    .hasMessageContaining("could not create any TCP/IP sockets");
        }
    }

    @Test
    void refusesADataDirectoryOfAnotherMajorVersion() throws Exception {
        Path data = tmp.resolve("data");
        start(data).close();
        Files.writeString(data.resolve("PG_VERSION"), "9\n");

        assertThatThrownBy(() -> LocalPostgres.builder(data).start())
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("belongs to PostgreSQL 9");
    }

    @Test
    void noServerOutlivesItsJvm() throws Exception {
        Path data = tmp.resolve("data");
        Process child = new ProcessBuilder(
                        ProcessHandle.current().info().command().orElseThrow(),
                        "-cp",
                        System.getProperty("java.class.path"),
                        StartAndExit.class.getName(),
                        data.toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();

        long postmasterPid = Long.parseLong(output.lines().toList().getLast().strip());

        assertThat(ProcessHandle.of(postmasterPid).filter(ProcessHandle::isAlive))
                .isEmpty();
        assertThat(data.resolve("postmaster.pid")).doesNotExist();
    }

    private static LocalPostgres start(Path data) {
        return LocalPostgres.builder(data).settings(TestPostgres.SETTINGS).start();
    }

    private static void execute(LocalPostgres pg, String... sql) throws SQLException {
        try (Connection c = pg.jdbcConnection("postgres");
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
