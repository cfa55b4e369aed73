package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.core.TableFilter;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** An idle stream answers the server's keepalives, so a short wal_sender_timeout never ends it. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class KeepaliveTest {

    @TempDir
    Path dir;

    @Test
    void idleStreamOutlivesAShortWalSenderTimeout() throws Exception {
        try (LocalPostgres server = LocalPostgres.builder(dir.resolve("source"))
                        .setting("wal_sender_timeout", "2s")
                        .start();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            PgUrl source = server.url("postgres");
            try (Connection c = server.jdbcConnection("postgres");
                    Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id int PRIMARY KEY)");
            }
            target.execute("CREATE TABLE t (id int PRIMARY KEY)");
            try (SourceAdmin admin = SourceAdmin.connect(source)) {
                admin.init(TableFilter.all(), "sluice", "sluice", true);
            }
            Pipeline pipeline = new Pipeline(
                    ConfigLoader.load(
                            null,
                            Map.of(),
                            Map.of(
                                    Setting.SOURCE_URL,
                                    source.toUrlWithPassword(),
                                    Setting.TARGET_URL,
                                    target.url().toUrlWithPassword(),
                                    Setting.METRICS_PORT,
                                    "0",
                                    Setting.SNAPSHOT_MODE,
                                    "none")),
                    new SimpleMeterRegistry());
            CompletableFuture<Void> run =
                    CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
            String walsender = awaitWalsender(server);
            // Idle for three times the server's timeout, with Sluice's status interval at its 10 s default.
            Thread.sleep(6_000);
            try (Connection c = server.jdbcConnection("postgres");
                    Statement st = c.createStatement()) {
                st.execute("INSERT INTO t VALUES (1)");
            }
            for (int i = 0;
                    i < 200 && !target.queryForString("SELECT count(*) FROM t").equals("1");
                    i++) {
                Thread.sleep(50);
            }
            assertThat(target.queryForString("SELECT count(*) FROM t")).isEqualTo("1");
            assertThat(awaitWalsender(server))
                    .as("same walsender, never timed out")
                    .isEqualTo(walsender);
            assertThat(pipeline.state()).isEqualTo(Pipeline.State.STREAMING);
            pipeline.stop();
            run.get(30, TimeUnit.SECONDS);
            try (SourceAdmin admin = SourceAdmin.connect(source)) {
                admin.destroy("sluice", "sluice");
            }
        }
    }

    private static String awaitWalsender(LocalPostgres server) throws Exception {
        for (int i = 0; i < 200; i++) {
            try (Connection c = server.jdbcConnection("postgres");
                    Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT active_pid FROM pg_replication_slots WHERE active")) {
                if (rs.next()) {
                    return rs.getString(1);
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no active walsender");
    }
}
