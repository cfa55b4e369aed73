package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import dev.sluice.testing.StoreDirectories;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * End to end: {@code sluice serve} on a real store, a branch created over HTTP, written to over
 * JDBC at the connection string the API handed out, and deleted; the store's metrics count it and
 * a restart of main.
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class ServeStoreTest {

    private static final String TOKEN = "end-to-end-token-7";

    @Test
    void aBranchCreatedOverHttpIsAWritableDatabaseUntilDeleted() throws Exception {
        Path root = Files.createTempDirectory("sluice-serve-store-");
        ServingThread serving = ServingThread.start(root, TOKEN);
        try {
            String api = serving.apiUrl();
            HttpClient http = HttpClient.newHttpClient();
            HttpResponse<String> created = http.send(
                    HttpRequest.newBuilder(URI.create(api + "/v1/branches"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"e2e\",\"ttl\":\"1h\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            Matcher url = Pattern.compile("\"databaseURL\":\"([^\"]+)\"").matcher(created.body());
            assertThat(url.find()).isTrue();
            PgUrl branch = PgUrl.parse("databaseURL", url.group(1));
            try (Connection c = DriverManager.getConnection(branch.jdbcUrl(), branch.properties());
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE notes (id int PRIMARY KEY, body text)");
                s.execute("INSERT INTO notes VALUES (1, 'written on a branch')");
                try (ResultSet rs = s.executeQuery("SELECT body FROM notes")) {
                    assertThat(rs.next()).isTrue();
                    assertThat(rs.getString(1)).isEqualTo("written on a branch");
                }
            }
            String metrics = serving.metricsUrl() + "/metrics";
            assertThat(body(http, metrics))
                    .contains("sluice_store_main_restarts_total 0.0")
                    .containsPattern("sluice_store_branches\\{state=\"running\",?} 1.0");

            // Main dies (SIGKILL, as the OOM killer sends): the store starts it again and says so.
            StoreDirectories.killMain(root);
            awaitLine(http, metrics, "sluice_store_main_restarts_total 1.0");
            awaitLine(http, serving.metricsUrl() + "/healthz", "main running");

            Map<String, String> client = Map.of("SLUICE_API_URL", api, "SLUICE_API_TOKEN", TOKEN);
            CliErrorsTest.Result again = CliErrorsTest.sluice(client, "branch", "create", "e2e", "--if-not-exists");
            assertThat(again.code()).isZero();
            assertThat(again.out().strip()).isEqualTo(url.group(1));
            HttpResponse<String> xata = http.send(
                    HttpRequest.newBuilder(URI.create(api + "/db/app"))
                            .header("Authorization", "Bearer " + TOKEN)
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(xata.statusCode()).isEqualTo(200);
            assertThat(xata.body()).contains("\"name\":\"main\"").contains("\"name\":\"e2e\"");
            assertThat(CliErrorsTest.sluice(client, "branch", "delete", "e2e").code())
                    .isZero();
            assertThat(CliErrorsTest.sluice(client, "branch", "url", "e2e").err())
                    .contains("no branch 'e2e'");
            assertThat(body(http, metrics)).containsPattern("sluice_store_branches\\{state=\"running\",?} 0.0");
            assertThat(serving.output()).doesNotContain(branch.toUrlWithPassword());
            assertThat(serving.stop()).as(serving.output()).isZero();
        } finally {
            serving.stop();
            FileTrees.deleteQuietly(root);
        }
    }

    private static String body(HttpClient http, String uri) throws Exception {
        HttpResponse<String> response =
                http.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("%s: %s", uri, response.body()).isEqualTo(200);
        return response.body();
    }

    /** Waits for {@code line} in what {@code uri} answers; /healthz answers 503 while main is down. */
    private static void awaitLine(HttpClient http, String uri, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        String last = "";
        while (!last.contains(line)) {
            assertThat(System.nanoTime())
                    .as("%s from %s in time; last: %s", line, uri, last)
                    .isLessThan(deadline);
            Thread.sleep(100);
            last = http.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString())
                    .body();
        }
    }
}
