package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import dev.sluice.testing.FreePorts;
import dev.sluice.testing.StoreDirectories;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code sluice run --store PATH}: the source is copied and streamed into the store's main, the
 * branch API is served by the same process, and a branch taken from main holds main's rows and
 * takes writes without touching main. When main's postmaster dies, the store starts it again, the
 * pipeline carries on, and the store's metrics count the restart.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class RunIntoStoreTest {

    private static final String TOKEN = "run-store-token-3";
    private static final Pattern LISTENING = Pattern.compile("Branch API on http://127\\.0\\.0\\.1:(\\d+)\\.");
    private static final Pattern METRICS = Pattern.compile("Metrics on (http://\\S+/metrics)");
    private static final Pattern DATABASE_URL = Pattern.compile("\"databaseURL\":\"([^\"]+)\"");

    @Test
    void runReplicatesIntoMainAndServesBranchesOfIt() throws Exception {
        Path root = StoreDirectories.newRoot("run");
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE TABLE items (id int PRIMARY KEY, v text)",
                    "INSERT INTO items SELECT i, 'v' || i FROM generate_series(1, 100) i");
            Map<String, String> env = Map.of(
                    "SLUICE_SOURCE_URL",
                    source.url().toUrlWithPassword(),
                    "SLUICE_METRICS_PORT",
                    Integer.toString(FreePorts.loopback()),
                    "SLUICE_API_TOKEN",
                    TOKEN);
            try (SluiceProcess run = SluiceProcess.start(
                    List.of(), env, "run", "--store", root.toString(), "--api-listen", "127.0.0.1:0")) {
                String api = apiUrl(run);
                PgUrl main = url(get(api + "/v1/branches/main"));
                awaitCount(main, 100);
                source.execute("INSERT INTO items SELECT i, 'late' || i FROM generate_series(101, 150) i");
                awaitCount(main, 150);

                HttpResponse<String> created = send(HttpRequest.newBuilder(URI.create(api + "/v1/branches"))
                        .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"ci\"}")));
                assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
                PgUrl branch = url(created.body());
                assertThat(count(branch)).as("the branch holds main's rows").isEqualTo(150);
                try (Connection c = DriverManager.getConnection(branch.jdbcUrl(), branch.properties());
                        Statement st = c.createStatement()) {
                    st.execute("INSERT INTO items VALUES (9999, 'only on the branch')");
                }
                assertThat(count(branch)).isEqualTo(151);
                String metrics = metricsUrl(run);
                assertThat(get(metrics, false))
                        .contains("sluice_store_main_restarts_total 0.0")
                        .containsPattern("sluice_store_branches\\{state=\"running\",?} 1.0")
                        .containsPattern("sluice_store_branches\\{state=\"failed\",?} 0.0");

                // Main dies under the pipeline (SIGKILL, as the OOM killer sends): the store starts it
                // again, the pipeline's retries carry on, and the metrics say it happened.
                StoreDirectories.killMain(root);
                source.execute("INSERT INTO items VALUES (151, 'after the branch')");
                awaitCount(main, 151);
                awaitMetric(metrics, "sluice_store_main_restarts_total 1.0");
                assertThat(scalar(main, "SELECT count(*) FROM items WHERE id = 9999"))
                        .as("main never sees the branch's writes")
                        .isEqualTo(0);

                assertThat(run.terminate()).as(run.output()).isZero();
                assertThat(run.output()).doesNotContain(TOKEN).doesNotContain(branch.toUrlWithPassword());
            }
        } finally {
            FileTrees.deleteQuietly(root);
        }
    }

    private static String apiUrl(SluiceProcess run) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = LISTENING.matcher(run.output());
            if (m.find()) {
                return "http://127.0.0.1:" + m.group(1);
            }
            assertThat(run.isAlive())
                    .as("sluice run is alive; it printed: %s", run.output())
                    .isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("sluice run never served the branch API: " + run.output());
    }

    private static String metricsUrl(SluiceProcess run) throws Exception {
        Matcher m = METRICS.matcher(run.output());
        assertThat(m.find()).as(run.output()).isTrue();
        return m.group(1);
    }

    private static void awaitMetric(String metrics, String line) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!get(metrics, false).contains(line)) {
            assertThat(System.nanoTime()).as("%s in time", line).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static String get(String uri) throws Exception {
        return get(uri, true);
    }

    private static String get(String uri, boolean authorized) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).GET();
        HttpResponse<String> response = authorized
                ? send(request)
                : HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.body();
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return HttpClient.newHttpClient()
                .send(request.header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static PgUrl url(String json) {
        Matcher m = DATABASE_URL.matcher(json);
        assertThat(m.find()).as(json).isTrue();
        return PgUrl.parse("databaseURL", m.group(1));
    }

    /** Waits for the count; main may be down meanwhile (it is being restarted), which is not yet a failure. */
    private static void awaitCount(PgUrl db, long expected) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (true) {
            String seen;
            try {
                long count = count(db);
                if (count == expected) {
                    return;
                }
                seen = count + " rows";
            } catch (SQLException e) {
                seen = e.getMessage();
            }
            assertThat(System.nanoTime())
                    .as("%s rows in %s in time; last seen: %s", expected, db, seen)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private static long count(PgUrl db) throws SQLException {
        return scalar(db, "SELECT count(*) FROM items");
    }

    /** A count, or -1 while the table does not exist yet (the snapshot is still copying). */
    private static long scalar(PgUrl db, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), db.properties());
                Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('public.items') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return -1;
                }
            }
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
