package dev.sluice.snapshot.progress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.SnapshotCopier.TableEstimate;
import dev.sluice.snapshot.SnapshotCopier.TableResult;
import dev.sluice.snapshot.progress.SnapshotProgress.Phase;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ProgressBarConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The terminal display, drawn into consumers that keep what they were given. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BarDisplayTest {

    private static final TableId ORDERS = new TableId("public", "orders");
    private static final TableId USERS = new TableId("public", "users");
    private static final TableId EVENTS = new TableId("audit", "events");

    /** One line of the display. */
    static final class Line implements ProgressBarConsumer {
        final List<String> drawn = new CopyOnWriteArrayList<>();
        volatile boolean closed;

        @Override
        public int getMaxRenderedLength() {
            return 160;
        }

        @Override
        public void accept(String rendered) {
            drawn.add(rendered);
        }

        @Override
        public void close() {
            closed = true;
        }

        String last() {
            return drawn.isEmpty() ? "" : drawn.get(drawn.size() - 1);
        }

        boolean everShowed(String text) {
            return drawn.stream().anyMatch(s -> s.contains(text));
        }
    }

    @Test
    void showsEachPhaseWithTheTablesInFlight() throws Exception {
        List<Line> lines = new CopyOnWriteArrayList<>();
        SnapshotProgress progress = new SnapshotProgress();
        BarDisplay display = BarDisplay.start(
                progress,
                2,
                () -> {
                    Line line = new Line();
                    lines.add(line);
                    return line;
                },
                true);
        try {
            assertThat(display.live()).isTrue();
            progress.phase(Phase.PRE_DATA);
            display.tick();
            progress.planned(List.of(
                    new TableEstimate(ORDERS, 1000, 4 << 20),
                    new TableEstimate(USERS, 100, 1 << 20),
                    new TableEstimate(EVENTS, 0, 0)));
            progress.copied(ORDERS, 500, 2 << 20);
            progress.copied(USERS, 10, 1 << 10);
            progress.copied(EVENTS, 1, 100);
            display.tick();
            assertThat(lines).as("pre-data, rows, two table lines").hasSize(4);
            await(() -> lines.get(2).everShowed("public.orders") && lines.get(3).everShowed("public.users"));
            await(() -> lines.get(1).last().contains("0/3 tables, 1 more in flight"));
            assertThat(lines.get(1).last()).startsWith("rows ");

            progress.finished(null, new TableResult(ORDERS, 0, 0, Duration.ZERO, false));
            display.tick();
            await(() -> lines.get(2).last().contains("audit.events"));

            progress.finished(null, new TableResult(USERS, 0, 0, Duration.ZERO, false));
            progress.finished(null, new TableResult(EVENTS, 0, 0, Duration.ZERO, false));
            progress.postDataPlanned(5);
            progress.postDataStarted("index public.orders_pkey");
            display.tick();
            assertThat(lines).hasSize(5);
        } finally {
            display.close();
        }
        assertThat(lines).allSatisfy(line -> assertThat(line.closed).isTrue());
        assertThat(lines.get(0).last())
                .startsWith("schema pre-data: done in 0:00:0")
                .hasSize(160);
        assertThat(lines.get(1).last()).contains("rows 100%").contains("3/3 tables");
        assertThat(lines.get(2).last())
                .as("a finished phase's table lines are blank")
                .isBlank();
        assertThat(lines.get(4).last())
                .contains("post-data")
                .contains("0/5 objects")
                .contains("creating index public.orders_pkey");
    }

    @Test
    void tableLineFitsTheWidth() {
        SnapshotProgress.TableView t = new SnapshotProgress.TableView(
                ORDERS,
                SnapshotProgress.TableState.COPYING,
                900_000,
                1_500_000,
                1_027_604_480L,
                1_717_986_918L,
                12_582_912,
                Duration.ofSeconds(60),
                Duration.ofSeconds(35));
        assertThat(ProgressFormat.tableLine(t, 120, false))
                .hasSize(120)
                .startsWith(
                        "  public.orders             59% [#######     ] 980.0 MiB/~1.6 GiB  900,000 rows  12.0 MiB/s"
                                + "  ETA 0:00:35 ");
        assertThat(ProgressFormat.tableLine(t, 30, true)).hasSize(30);
    }

    private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met in time").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
