package dev.sluice.pipeline.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.SnapshotCopier;
import dev.sluice.snapshot.progress.SnapshotProgress;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The snapshot's meters as Prometheus scrapes them from /metrics. */
class SnapshotMetricsTest {

    @Test
    void snapshotProgressIsScrapedUnderItsNames() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SnapshotProgress progress = new SnapshotProgress();
        progress.bindTo(registry);
        TableId orders = new TableId("public", "orders");
        progress.planned(List.of(
                new SnapshotCopier.TableEstimate(orders, 100, 8192),
                new SnapshotCopier.TableEstimate(new TableId("public", "users"), 0, 0)));
        progress.copied(orders, 42, 4200);
        assertThat(registry.scrape())
                .containsPattern("(?m)^sluice_snapshot_phase 2\\.0$")
                .containsPattern("(?m)^sluice_snapshot_tables 2\\.0$")
                .containsPattern("(?m)^sluice_snapshot_tables_done 0\\.0$")
                .containsPattern("(?m)^sluice_snapshot_rows_copied_total 42\\.0$")
                .containsPattern("(?m)^sluice_snapshot_bytes_copied_total 4200\\.0$")
                .containsPattern("(?m)^sluice_snapshot_bytes_estimated \\d")
                .containsPattern("(?m)^sluice_snapshot_rows_estimated 100\\.0$")
                .containsPattern("(?m)^sluice_snapshot_eta_seconds ")
                .containsPattern("(?m)^sluice_snapshot_post_data_objects -1\\.0$")
                .containsPattern("(?m)^sluice_snapshot_post_data_objects_done 0\\.0$")
                .containsPattern("(?m)^sluice_snapshot_table_rows_copied\\{table=\"public.orders\"} 42\\.0$")
                .containsPattern("(?m)^sluice_snapshot_table_bytes_copied\\{table=\"public.users\"} 0\\.0$");
    }
}
