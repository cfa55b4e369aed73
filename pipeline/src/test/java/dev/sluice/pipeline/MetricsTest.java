package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.metrics.MetricsServer;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** /metrics and /healthz report a running pipeline's throughput, lag and position. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class MetricsTest {

    @Test
    void metricsAndHealthReflectStreaming() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication =
                        new Replication(source, target).schema("CREATE TABLE t (id int PRIMARY KEY, v text)")) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            Pipeline pipeline = new Pipeline(replication.config(Map.of(Setting.METRICS_PORT, "0")), registry);
            try (MetricsServer server = MetricsServer.start(
                    "127.0.0.1",
                    0,
                    registry,
                    () -> new MetricsServer.Health(
                            pipeline.state() == Pipeline.State.STREAMING,
                            pipeline.state().name().toLowerCase()))) {
                CompletableFuture<Void> run =
                        CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
                source.execute("INSERT INTO t SELECT i, 'v' FROM generate_series(1, 500) i");
                replication.awaitCaughtUp(Duration.ofSeconds(30));

                HttpClient http = HttpClient.newHttpClient();
                String base = "http://127.0.0.1:" + server.port();
                HttpResponse<String> metrics = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(metrics.statusCode()).isEqualTo(200);
                assertThat(metrics.body())
                        .containsPattern("(?m)^sluice_rows_applied_total (50[1-9]|5[1-9]\\d|[6-9]\\d\\d|\\d{4,})\\.0$")
                        .containsPattern("(?m)^sluice_row_changes_total \\d+")
                        .containsPattern("(?m)^sluice_lag_bytes \\d")
                        .containsPattern("(?m)^sluice_lag_seconds \\d")
                        .containsPattern("(?m)^sluice_last_applied_lsn [1-9]")
                        .contains("sluice_slot_retained_wal_bytes");
                HttpResponse<String> health = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).isEqualTo(200);
                assertThat(health.body()).isEqualTo("streaming\n");

                pipeline.stop();
                run.get(30, TimeUnit.SECONDS);
                HttpResponse<String> stopped = http.send(
                        HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(stopped.statusCode()).isEqualTo(503);
                assertThat(stopped.body()).isEqualTo("stopped\n");
            }
        }
    }
}
