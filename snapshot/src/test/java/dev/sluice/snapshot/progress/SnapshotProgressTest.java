package dev.sluice.snapshot.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.SnapshotCopier.TableEstimate;
import dev.sluice.snapshot.SnapshotCopier.TableResult;
import dev.sluice.snapshot.progress.SnapshotProgress.Phase;
import dev.sluice.snapshot.progress.SnapshotProgress.TableState;
import dev.sluice.snapshot.progress.SnapshotProgress.TableView;
import dev.sluice.snapshot.progress.SnapshotProgress.View;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 1, unit = TimeUnit.MINUTES)
class SnapshotProgressTest {

    private static final long MB = 1_000_000;
    private static final TableId ORDERS = new TableId("public", "orders");
    private static final TableId USERS = new TableId("public", "users");
    private static final TableId EVENTS = new TableId("audit", "events");

    /** A clock the test moves. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    private SnapshotProgress progress() {
        return new SnapshotProgress(nanos::get);
    }

    private void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
    }

    private static TableResult result(TableId table) {
        return new TableResult(table, 0, 0, Duration.ZERO, false);
    }

    @Test
    void copiedFromManyThreadsAddsUpExactly() throws Exception {
        SnapshotProgress progress = new SnapshotProgress();
        List<TableId> tables = List.of(ORDERS, USERS, EVENTS);
        progress.planned(
                tables.stream().map(t -> new TableEstimate(t, 1000, 1 << 20)).toList());
        int threads = 8;
        int calls = 20_000;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            int worker = w;
            Thread t = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (int i = 0; i < calls; i++) {
                    progress.copied(tables.get((worker + i) % tables.size()), 3, 65_536);
                    if (i % 1000 == 0) {
                        progress.view();
                    }
                }
            });
            t.start();
            workers.add(t);
        }
        go.countDown();
        for (Thread t : workers) {
            t.join();
        }
        assertThat(progress.rowsCopied()).isEqualTo(3L * threads * calls);
        assertThat(progress.bytesCopied()).isEqualTo(65_536L * threads * calls);
        long perTableRows = 0;
        for (TableView t : progress.tables()) {
            assertThat(t.state()).isEqualTo(TableState.COPYING);
            perTableRows += t.rows();
        }
        assertThat(perTableRows).isEqualTo(progress.rowsCopied());
        View v = progress.view();
        assertThat(v.bytesEstimated()).isGreaterThanOrEqualTo(v.bytesCopied());
        assertThat(v.fraction()).isLessThan(1);
    }

    @Test
    void neverAnalyzedTablesKeepPercentAndEtaSane() {
        SnapshotProgress progress = progress();
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 0), new TableEstimate(USERS, 0, 0)));
        View before = progress.view();
        assertThat(before.phase()).isEqualTo(Phase.ROWS);
        assertThat(before.fraction()).isZero();
        assertThat(before.eta()).as("nothing known yet").isNull();
        for (int s = 0; s < 30; s++) {
            advance(Duration.ofSeconds(1));
            progress.copied(ORDERS, 100, 5 * MB);
            View v = progress.view();
            assertThat(v.fraction()).isBetween(0.0, 0.999);
            assertThat(v.bytesEstimated()).isGreaterThanOrEqualTo(v.bytesCopied());
            assertThat(v.eta()).isNotNull();
            assertThat(v.eta()).isGreaterThanOrEqualTo(Duration.ZERO);
            assertThat(v.copying())
                    .singleElement()
                    .satisfies(t -> assertThat(t.fraction()).isLessThan(1));
        }
        progress.finished(null, result(ORDERS));
        progress.finished(null, result(USERS));
        View done = progress.view();
        assertThat(done.fraction()).isEqualTo(1.0);
        assertThat(done.eta()).isEqualTo(Duration.ZERO);
        assertThat(done.tablesDone()).isEqualTo(2);
        assertThat(done.bytesEstimated()).isEqualTo(done.bytesCopied()).isEqualTo(150 * MB);
    }

    @Test
    void underestimatedTableGrowsTheTotalAndStaysBelowHundredPercent() {
        SnapshotProgress progress = progress();
        progress.planned(List.of(new TableEstimate(ORDERS, 1000, 10 * MB)));
        for (int s = 0; s < 20; s++) {
            advance(Duration.ofSeconds(1));
            progress.copied(ORDERS, 500, 4 * MB);
            View v = progress.view();
            assertThat(v.bytesEstimated()).isGreaterThanOrEqualTo(v.bytesCopied());
            assertThat(v.rowsEstimated()).isGreaterThanOrEqualTo(v.rowsCopied());
            assertThat(v.fraction()).isLessThan(1);
            assertThat(ProgressFormat.percent(v.fraction())).isNotEqualTo("100%");
            assertThat(v.eta()).isGreaterThanOrEqualTo(Duration.ZERO);
        }
        assertThat(progress.bytesEstimated()).isEqualTo(80 * MB);
        progress.finished(null, result(ORDERS));
        assertThat(ProgressFormat.percent(progress.view().fraction())).isEqualTo("100%");
    }

    @Test
    void rateIsOverTheRecentWindowNotTheWholeRun() {
        SnapshotProgress progress = progress();
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 1000 * MB)));
        for (int s = 0; s < 30; s++) {
            advance(Duration.ofSeconds(1));
            progress.copied(ORDERS, 0, s < 20 ? 10 * MB : MB);
            progress.view();
        }
        View v = progress.view();
        assertThat(v.bytesPerSecond()).isCloseTo(1.0 * MB, within(0.01 * MB));
        assertThat(v.copying())
                .singleElement()
                .satisfies(t -> assertThat(t.bytesPerSecond()).isCloseTo(1.0 * MB, within(0.01 * MB)));
        // 210 MB of 1000 MB copied at 1 MB/s: 790 s left.
        assertThat(v.eta()).isEqualTo(Duration.ofSeconds(790));
    }

    @Test
    void rateWithoutRegularReadersSpansTheTimeSinceTheLastReading() {
        SnapshotProgress progress = progress();
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 1000 * MB)));
        advance(Duration.ofSeconds(60));
        progress.copied(ORDERS, 0, 120 * MB);
        assertThat(progress.view().bytesPerSecond()).isCloseTo(2.0 * MB, within(1.0));
    }

    @Test
    void tableBeingCopiedIsExtrapolatedFromItsBytesPerRow() {
        SnapshotProgress progress = progress();
        // The statistics say 8 MB of pages; the COPY text turns out twice as wide.
        progress.planned(List.of(new TableEstimate(ORDERS, 1000, 8 * MB)));
        advance(Duration.ofSeconds(1));
        progress.copied(ORDERS, 250, 4 * MB);
        View v = progress.view();
        assertThat(v.bytesEstimated()).isEqualTo(16 * MB);
        assertThat(v.fraction()).isCloseTo(0.25, within(1e-9));
    }

    @Test
    void finishedTablesCalibrateTheEstimatesOfWaitingOnes() {
        SnapshotProgress progress = progress();
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 10 * MB), new TableEstimate(USERS, 0, 10 * MB)));
        progress.copied(ORDERS, 10, 5 * MB);
        progress.finished(null, result(ORDERS));
        assertThat(progress.bytesEstimated())
                .as("users is expected to shrink alike")
                .isEqualTo(10 * MB);
    }

    @Test
    void resumedTablesCountAsDoneButNotTowardsTheRate() {
        SnapshotProgress progress = progress();
        progress.phase(Phase.PRE_DATA);
        progress.alreadyCopied(USERS, 1000, 500 * MB);
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 100 * MB)));
        advance(Duration.ofSeconds(10));
        progress.copied(ORDERS, 10, 10 * MB);
        View v = progress.view();
        assertThat(v.tablesTotal()).isEqualTo(2);
        assertThat(v.tablesDone()).isEqualTo(1);
        assertThat(v.bytesCopied()).isEqualTo(510 * MB);
        assertThat(v.bytesPerSecond()).isCloseTo(1.0 * MB, within(1.0));
        assertThat(v.eta()).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void phasesOnlyMoveForwardAndPostDataIsCounted() {
        SnapshotProgress progress = progress();
        assertThat(progress.view().phase()).isEqualTo(Phase.NOT_STARTED);
        progress.phase(Phase.PRE_DATA);
        advance(Duration.ofSeconds(3));
        assertThat(progress.view().phaseElapsed()).isEqualTo(Duration.ofSeconds(3));
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 0)));
        assertThat(progress.currentPhase()).isEqualTo(Phase.ROWS);
        assertThat(progress.view().eta()).isNull();
        progress.phase(Phase.PRE_DATA);
        assertThat(progress.currentPhase()).isEqualTo(Phase.ROWS);
        progress.finished(null, result(ORDERS));
        progress.postDataPlanned(3);
        progress.postDataStarted("index public.orders_pkey");
        progress.postDataStarted("index public.orders_created_idx");
        progress.postDataDone("index public.orders_pkey");
        View v = progress.view();
        assertThat(v.phase()).isEqualTo(Phase.POST_DATA);
        assertThat(v.postDataTotal()).isEqualTo(3);
        assertThat(v.postDataDone()).isEqualTo(1);
        assertThat(v.postDataRunning()).containsExactly("index public.orders_created_idx");
        assertThat(v.eta()).isEqualTo(Duration.ZERO);
        progress.postDataDone("index public.orders_created_idx");
        progress.postDataDone("constraint public.orders_user_fk");
        progress.postDataDone("trigger public.orders_audit");
        assertThat(progress.view().postDataTotal())
                .as("grows when more are done")
                .isEqualTo(4);
        progress.phase(Phase.DONE);
        assertThat(progress.view().elapsed()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void logLineSaysPercentRateEtaTablesAndTheLargestInFlight() {
        View v = new View(
                Phase.ROWS,
                Duration.ofSeconds(75),
                Duration.ofSeconds(70),
                40,
                12,
                1_234_567,
                4_000_000,
                1_288_490_188L,
                3_113_851_289L,
                36_805_017,
                40_000,
                Duration.ofSeconds(48),
                List.of(
                        new TableView(
                                ORDERS,
                                TableState.COPYING,
                                900_000,
                                1_500_000,
                                1_027_604_480L,
                                1_717_986_918L,
                                20_000_000,
                                Duration.ofSeconds(60),
                                Duration.ofSeconds(34)),
                        new TableView(USERS, TableState.COPYING, 10, 20, 1000, 2000, 100, Duration.ofSeconds(1), null)),
                -1,
                0,
                List.of());
        assertThat(ProgressFormat.logLine(v))
                .isEqualTo("snapshot rows: 41% of ~2.9 GiB (1.2 GiB, 1,234,567 rows), 35.1 MiB/s, ETA 0:00:48,"
                        + " 12/40 tables done, largest in flight public.orders 59% of ~1.6 GiB");
    }

    @Test
    void logLineOfTheOtherPhases() {
        SnapshotProgress progress = progress();
        progress.phase(Phase.PRE_DATA);
        advance(Duration.ofSeconds(12));
        assertThat(ProgressFormat.logLine(progress.view())).isEqualTo("snapshot schema pre-data: running for 0:00:12");
        progress.planned(List.of(new TableEstimate(ORDERS, 0, 0)));
        assertThat(ProgressFormat.logLine(progress.view()))
                .isEqualTo("snapshot rows: 0% of ~0 B (0 B, 0 rows), ? B/s, ETA ?, 0/1 tables done");
        progress.copied(ORDERS, 5, 2048);
        progress.finished(null, result(ORDERS));
        progress.postDataStarted("index public.orders_pkey");
        assertThat(progress.currentPhase())
                .as("a copied table's indexes start while other rows are still copied")
                .isEqualTo(Phase.ROWS);
        progress.phase(Phase.POST_DATA);
        advance(Duration.ofSeconds(1));
        progress.postDataStarted("index public.orders_created_idx");
        advance(Duration.ofSeconds(129));
        assertThat(ProgressFormat.logLine(progress.view()))
                .isEqualTo("snapshot post-data: 0/? objects, running for 0:02:10, creating index public.orders_pkey"
                        + " (+1 more)");
        progress.phase(Phase.DONE);
        assertThat(ProgressFormat.logLine(progress.view()))
                .isEqualTo("snapshot done in 0:02:22: 1 table(s), 2.0 KiB, 5 rows");
    }

    @Test
    void displayModesWithoutATerminal() {
        assertThat(ProgressDisplay.Mode.parse(" Bar ")).isEqualTo(ProgressDisplay.Mode.BAR);
        try (ProgressDisplay none = ProgressDisplay.start(progress(), ProgressDisplay.Mode.NONE, 4);
                ProgressDisplay log = ProgressDisplay.start(progress(), ProgressDisplay.Mode.AUTO, 4)) {
            assertThat(none.live()).isFalse();
            assertThat(log).as("tests run without a terminal").isInstanceOf(LogDisplay.class);
            assertThat(log.live()).isFalse();
        }
    }

    @Test
    void metersReadTheCounts() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SnapshotProgress progress = progress();
        progress.bindTo(registry);
        assertThat(registry.get("sluice_snapshot_phase").gauge().value()).isZero();
        progress.planned(List.of(new TableEstimate(ORDERS, 10, 8192), new TableEstimate(USERS, 0, 0)));
        progress.copied(ORDERS, 7, 700);
        assertThat(registry.get("sluice_snapshot_phase").gauge().value()).isEqualTo(2);
        assertThat(registry.get("sluice_snapshot_tables").gauge().value()).isEqualTo(2);
        assertThat(registry.get("sluice_snapshot_rows_copied").functionCounter().count())
                .isEqualTo(7);
        assertThat(registry.get("sluice_snapshot_table_rows_copied")
                        .tag("table", "public.orders")
                        .gauge()
                        .value())
                .isEqualTo(7);
        assertThat(registry.get("sluice_snapshot_table_rows_copied")
                        .tag("table", "public.users")
                        .gauge()
                        .value())
                .isZero();
        assertThat(registry.get("sluice_snapshot_eta_seconds").gauge().value()).isNaN();
    }
}
