package dev.sluice.pipeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The demo brings up its servers, streams its load, reports progress, and leaves the target equal to the source. */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void demoStreamsItsLoadAndTargetEndsEqual() throws Exception {
        StringWriter text = new StringWriter();
        try (Demo demo = new Demo(dir.resolve("demo"), new PrintWriter(text, true))) {
            demo.start(0, 100);
            demo.report(Duration.ofSeconds(1), Duration.ofSeconds(4));
            demo.stopLoad();
            List<String> tables = List.of("customers", "orders", "order_items");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!checksums(demo.sourceUrl(), tables).equals(checksums(demo.targetUrl(), tables))) {
                assertThat(System.nanoTime())
                        .as("target caught up with the source")
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(count(demo.targetUrl(), "customers")).isGreaterThanOrEqualTo(1_000);
            assertThat(demo.pipeline().sinkStats().rowsApplied.get())
                    .as("streamed after the snapshot")
                    .isPositive();
        }
        assertThat(text.toString())
                .contains("Sluice demo is streaming")
                .contains("psql 'postgres://")
                .containsPattern("rows replicated [\\d,]+ \\([\\d,]+/s\\) \\| transactions [\\d,]+ \\| lag");
    }

    private static List<String> checksums(PgUrl url, List<String> tables) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                Statement st = c.createStatement()) {
            return tables.stream()
                    .map(t -> {
                        try (ResultSet rs = st.executeQuery("SELECT md5(coalesce(string_agg(x::text, '\n' ORDER BY"
                                + " x::text COLLATE \"C\"), '')) FROM " + t + " x")) {
                            rs.next();
                            return rs.getString(1);
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .toList();
        }
    }

    private static long count(PgUrl url, String table) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
