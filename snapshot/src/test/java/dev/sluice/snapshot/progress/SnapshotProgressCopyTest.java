package dev.sluice.snapshot.progress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.Lsn;
import dev.sluice.core.TableId;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SnapshotCopier;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.snapshot.progress.SnapshotProgress.Phase;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A real copy reported through the progress: meters and views hold what the copier copied. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SnapshotProgressCopyTest {

    private static final String[] SCHEMA = {
        "CREATE TABLE orders (id bigint PRIMARY KEY, note text)",
        "CREATE TABLE users (id int PRIMARY KEY, email text)",
        "CREATE TABLE parted (region text, v int) PARTITION BY LIST (region)",
        "CREATE TABLE parted_eu PARTITION OF parted FOR VALUES IN ('eu')",
        "CREATE TABLE parted_us PARTITION OF parted FOR VALUES IN ('us')",
        "CREATE TABLE never_analyzed (id int PRIMARY KEY)"
    };

    @Test
    void metersHoldWhatTheCopierCopied() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA);
            source.execute(
                    "INSERT INTO orders SELECT i, repeat(md5(i::text), 3) FROM generate_series(1, 30000) i",
                    "INSERT INTO users SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 2000) i",
                    "INSERT INTO parted SELECT CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END, i"
                            + " FROM generate_series(1, 4000) i",
                    "ANALYZE orders",
                    "ANALYZE users",
                    "ANALYZE parted",
                    "INSERT INTO never_analyzed SELECT generate_series(1, 500)");
            List<TableId> tables = List.of("orders", "users", "parted", "never_analyzed").stream()
                    .map(t -> new TableId("public", t))
                    .toList();
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            SnapshotProgress progress = new SnapshotProgress();
            progress.bindTo(registry);
            progress.phase(Phase.PRE_DATA);
            List<SnapshotCopier.TableResult> results;
            try (ExportedSnapshot snapshot = ExportedSnapshot.withoutSlot(source.url())) {
                results = new SnapshotCopier(
                                new SnapshotCopier.Config(source.url(), target.url(), 2, 16, List.of()), progress)
                        .copy(snapshot, tables);
            }
            long rows =
                    results.stream().mapToLong(SnapshotCopier.TableResult::rows).sum();
            long bytes = results.stream()
                    .mapToLong(SnapshotCopier.TableResult::bytes)
                    .sum();
            assertThat(rows).isEqualTo(30000 + 2000 + 4000 + 500);

            assertThat(gauge(registry, "sluice_snapshot_phase")).isEqualTo(Phase.ROWS.ordinal());
            assertThat(gauge(registry, "sluice_snapshot_tables")).isEqualTo(4);
            assertThat(gauge(registry, "sluice_snapshot_tables_done")).isEqualTo(4);
            assertThat(registry.get("sluice_snapshot_rows_copied")
                            .functionCounter()
                            .count())
                    .isEqualTo(rows);
            assertThat(registry.get("sluice_snapshot_bytes_copied")
                            .functionCounter()
                            .count())
                    .isEqualTo(bytes);
            assertThat(gauge(registry, "sluice_snapshot_bytes_estimated")).isEqualTo(bytes);
            assertThat(gauge(registry, "sluice_snapshot_rows_estimated")).isEqualTo(rows);
            assertThat(gauge(registry, "sluice_snapshot_eta_seconds")).isZero();
            for (SnapshotCopier.TableResult r : results) {
                assertThat(registry.get("sluice_snapshot_table_rows_copied")
                                .tag("table", r.table().toString())
                                .gauge()
                                .value())
                        .as("rows of %s", r.table())
                        .isEqualTo(r.rows());
                assertThat(registry.get("sluice_snapshot_table_bytes_copied")
                                .tag("table", r.table().toString())
                                .gauge()
                                .value())
                        .isEqualTo(r.bytes());
            }
            SnapshotProgress.View view = progress.view();
            assertThat(view.fraction()).isEqualTo(1.0);
            assertThat(view.copying()).isEmpty();
            assertThat(progress.tables())
                    .extracting(SnapshotProgress.TableView::state)
                    .containsOnly(SnapshotProgress.TableState.DONE);

            progress.postDataPlanned(2);
            progress.postDataDone("index public.orders_pkey");
            progress.postDataDone("index public.users_pkey");
            progress.phase(Phase.DONE);
            assertThat(gauge(registry, "sluice_snapshot_phase")).isEqualTo(Phase.DONE.ordinal());
            assertThat(gauge(registry, "sluice_snapshot_post_data_objects")).isEqualTo(2);
            assertThat(gauge(registry, "sluice_snapshot_post_data_objects_done"))
                    .isEqualTo(2);
        }
    }

    @Test
    void ledgerSummaryCountsTheStepsWithoutCreatingAnything() throws Exception {
        try (TestDatabase target = TestPostgres.server().createDatabase()) {
            assertThat(SnapshotLedger.summary(target.url(), "sluice")).isEmpty();
            assertThat(target.queryForString("SELECT to_regclass('sluice.snapshot') IS NULL"))
                    .isEqualTo("t");

            SnapshotLedger ledger = SnapshotLedger.open(target.url(), "sluice");
            assertThat(SnapshotLedger.summary(target.url(), "sluice")).isEmpty();
            ledger.start(Lsn.parse("0/16B3748"));
            ledger.recordPlan(3, 3_000_000);
            try (Connection conn = target.connect()) {
                conn.setAutoCommit(false);
                ledger.recordPreData(conn, Lsn.parse("0/16B3748"));
                ledger.recordTable(conn, new TableId("public", "orders"), Lsn.parse("0/16B3748"), 1000, 2_000_000);
                ledger.recordTable(conn, new TableId("public", "Odd \"name\""), Lsn.parse("0/16B3748"), 10, 500);
                conn.commit();
            }
            SnapshotLedger.Summary s =
                    SnapshotLedger.summary(target.url(), "sluice").orElseThrow();
            assertThat(s.position()).isEqualTo(Lsn.parse("0/16B3748"));
            assertThat(s.startedAt()).isNotNull();
            assertThat(s.preDataDone()).isTrue();
            assertThat(s.tablesCopied()).isEqualTo(2);
            assertThat(s.tablesPlanned()).isEqualTo(3);
            assertThat(s.rowsCopied()).isEqualTo(1010);
            assertThat(s.bytesCopied()).isEqualTo(2_000_500);
            assertThat(s.bytesPlanned()).isEqualTo(3_000_000);
            assertThat(s.postDataDone()).isZero();
            assertThat(s.postDataPlanned()).isEqualTo(-1);
            assertThat(s.finished()).isFalse();
            assertThat(ledger.copiedTables()).as("plan rows are no tables").hasSize(2);

            ledger.recordPostDataPlan(1);
            try (Connection conn = target.connect()) {
                conn.setAutoCommit(false);
                ledger.recordPostData(conn, "index public orders_pkey");
                conn.commit();
            }
            ledger.finish();
            SnapshotLedger.Summary done =
                    SnapshotLedger.summary(target.url(), "sluice").orElseThrow();
            assertThat(done.postDataDone()).isEqualTo(1);
            assertThat(done.postDataPlanned()).isEqualTo(1);
            assertThat(done.finished()).isTrue();
            assertThat(done.lastStepAt()).isEqualTo(done.finishedAt());
            assertThat(SnapshotLedger.summary(target.url(), "other")).isEmpty();
        }
    }

    private static double gauge(SimpleMeterRegistry registry, String name) {
        return registry.get(name).gauge().value();
    }
}
