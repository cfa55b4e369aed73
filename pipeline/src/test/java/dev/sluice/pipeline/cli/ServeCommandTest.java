package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.branching.BranchState;
import dev.sluice.pipeline.api.InMemoryBranches;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `sluice serve` wiring: settings checked first, the API served over the opened store until stopped. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ServeCommandTest {

    private static final String TOKEN = "serve-test-token-42";

    @TempDir
    Path store;

    private final ServeCommand.StoreOpener original = ServeCommand.opener;

    @AfterEach
    void restore() {
        ServeCommand.opener = original;
    }

    @Test
    void refusesToStartWithoutATokenBeforeOpeningTheStore() {
        List<Path> opened = new CopyOnWriteArrayList<>();
        ServeCommand.opener = root -> {
            opened.add(root);
            return new InMemoryBranches();
        };
        CliErrorsTest.Result r = CliErrorsTest.sluice(Map.of(), "serve", "--store", store.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.token is not set: pass --api-token, set SLUICE_API_TOKEN");
        assertThat(opened).isEmpty();
    }

    @Test
    void refusesToStartWithoutAStore() {
        CliErrorsTest.Result r = CliErrorsTest.sluice(Map.of("SLUICE_API_TOKEN", TOKEN), "serve");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: store.path is not set: pass --store, set SLUICE_STORE_PATH");
    }

    @Test
    void aBadListenAddressIsRefusedWithTheValue() {
        CliErrorsTest.Result r = CliErrorsTest.sluice(
                Map.of("SLUICE_API_TOKEN", TOKEN), "serve", "--store", store.toString(), "--api-listen", "7654");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.listen = '7654' is not allowed; expected HOST:PORT");
    }

    @Test
    void servesTheApiOverTheOpenedStoreUntilStopped() throws Exception {
        InMemoryBranches branches = new InMemoryBranches();
        List<Path> opened = new CopyOnWriteArrayList<>();
        ServeCommand.opener = root -> {
            opened.add(root);
            return branches;
        };
        ServingThread serving = ServingThread.start(store, TOKEN);
        String api = serving.apiUrl();
        assertThat(opened).containsExactly(store);
        Map<String, String> client = Map.of("SLUICE_API_URL", api, "SLUICE_API_TOKEN", TOKEN);
        CliErrorsTest.Result created = CliErrorsTest.sluice(client, "branch", "create", "pr-1");
        assertThat(created.code()).isZero();
        assertThat(branches.find("pr-1")).isPresent();
        assertThat(serving.stop()).as(serving.output()).isZero();
        assertThat(CliErrorsTest.sluice(client, "branch", "list").code()).isEqualTo(3);
    }

    @Test
    void healthzFailsWhileMainIsDownAndMetricsCountBranchesByState() throws Exception {
        InMemoryBranches branches = new InMemoryBranches();
        ServeCommand.opener = root -> branches;
        ServingThread serving = ServingThread.start(store, TOKEN);
        String metrics = serving.metricsUrl();
        Map<String, String> client = Map.of("SLUICE_API_URL", serving.apiUrl(), "SLUICE_API_TOKEN", TOKEN);
        assertThat(CliErrorsTest.sluice(client, "branch", "create", "pr-1").code())
                .isZero();
        assertThat(CliErrorsTest.sluice(client, "branch", "create", "pr-2").code())
                .isZero();

        assertThat(get(metrics + "/metrics"))
                .returns(200, HttpResponse::statusCode)
                .extracting(HttpResponse::body)
                .asString()
                .containsPattern("sluice_store_branches\\{state=\"running\",?} 2.0")
                .containsPattern("sluice_store_branches\\{state=\"stopped\",?} 0.0")
                .as("an in-memory store has no postmaster to restart")
                .doesNotContain("sluice_store_main_restarts");
        assertThat(get(metrics + "/healthz"))
                .returns(200, HttpResponse::statusCode)
                .returns("main running\n", HttpResponse::body);

        branches.mainState(BranchState.STOPPED);
        assertThat(get(metrics + "/healthz"))
                .returns(503, HttpResponse::statusCode)
                .returns("main stopped\n", HttpResponse::body);
        assertThat(serving.stop()).as(serving.output()).isZero();
    }

    private static HttpResponse<String> get(String uri) throws Exception {
        return HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
