package dev.sluice.snapshot.progress;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.progress.SnapshotProgress.Phase;
import dev.sluice.snapshot.progress.SnapshotProgress.TableView;
import dev.sluice.snapshot.progress.SnapshotProgress.View;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.InteractiveConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live bars on the terminal (stderr), one phase at a time: a line for the schema's pre-data, then
 * an overall bar for the rows with a line for each table in flight, then a bar for the post-data
 * objects. A finished phase's lines stay on screen.
 *
 * <p>Log lines written to the same terminal meanwhile disturb the bars; whoever starts this display
 * should keep per-table logging quiet while it runs.
 */
final class BarDisplay implements ProgressDisplay {

    private static final Logger log = LoggerFactory.getLogger(BarDisplay.class);
    private static final int TICK_MILLIS = 500;
    private static final int DEFAULT_WIDTH = 100;

    private final SnapshotProgress progress;
    private final int tableLines;
    private final Supplier<ProgressBarConsumer> consumers;
    private final boolean unicode;
    private final ScheduledExecutorService timer;
    private volatile View latest;

    // Guarded by this.
    private Phase shown = Phase.NOT_STARTED;
    private final List<Shown> bars = new ArrayList<>();
    private ProgressBar main;
    private TableId[] slots = new TableId[0];
    private volatile TableView[] slotViews = new TableView[0];

    private BarDisplay(
            SnapshotProgress progress, int tableLines, Supplier<ProgressBarConsumer> consumers, boolean unicode) {
        this.progress = progress;
        this.tableLines = Math.max(0, tableLines);
        this.consumers = consumers;
        this.unicode = unicode;
        this.latest = progress.view();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sluice-progress");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Draws on stderr. The width comes from {@code COLUMNS} or {@code stty}, so that the library
     * never opens a JLine terminal (which loads native code, and warns about it on JDK 24+).
     */
    static BarDisplay onStderr(SnapshotProgress progress, int tableLines) {
        String term = System.getenv("TERM");
        boolean cursorMoves = term != null && !term.equals("dumb");
        boolean unicode = StandardCharsets.UTF_8.equals(System.err.charset());
        int width = Math.max(20, terminalWidth() - 1);
        Supplier<ProgressBarConsumer> consumers = cursorMoves
                ? () -> new InteractiveConsoleProgressBarConsumer(System.err, width)
                : () -> new ConsoleProgressBarConsumer(System.err, width);
        // Without cursor movement all bars would share one line: only the main one is shown.
        return start(progress, cursorMoves ? tableLines : 0, consumers, unicode);
    }

    /** @param consumers where each bar, one per line, draws */
    static BarDisplay start(
            SnapshotProgress progress, int tableLines, Supplier<ProgressBarConsumer> consumers, boolean unicode) {
        BarDisplay display = new BarDisplay(progress, tableLines, consumers, unicode);
        display.timer.scheduleWithFixedDelay(display::tickQuietly, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
        return display;
    }

    private static int terminalWidth() {
        String columns = System.getenv("COLUMNS");
        if (columns != null && columns.strip().matches("\\d{2,4}")) {
            return Integer.parseInt(columns.strip());
        }
        try {
            Process stty = new ProcessBuilder("stty", "size")
                    .redirectInput(new File("/dev/tty"))
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            String out = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            if (stty.waitFor(2, TimeUnit.SECONDS) && out.matches("\\d+ \\d+")) {
                return Integer.parseInt(out.substring(out.indexOf(' ') + 1));
            }
        } catch (IOException e) {
            log.debug("No terminal width from stty: {}", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return DEFAULT_WIDTH;
    }

    private void tickQuietly() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.debug("Progress display failed", e);
        }
    }

    /** Reads the progress and brings the bars up to date; opens and closes bars as phases change. */
    synchronized void tick() {
        View v = progress.view();
        latest = v;
        if (v.phase() != shown) {
            // The phase that ends shows its final numbers before its bars close.
            update(v, shown);
            closeBars();
            shown = v.phase();
            open(v);
        }
        update(v, shown);
    }

    private void open(View v) {
        main = switch (v.phase()) {
            case PRE_DATA -> add("schema pre-data", b -> b.setRenderer(this::renderPreData));
            case POST_DATA ->
                add(
                        "post-data",
                        b -> b.setUnit(" objects", 1).setInitialMax(v.postDataTotal() < 0 ? -1 : v.postDataTotal()));
            // The rows' bars wait for the plan, to size their unit and lines.
            case ROWS, NOT_STARTED, DONE -> null;
        };
    }

    private void update(View v, Phase phase) {
        switch (phase) {
            case ROWS -> updateRows(v);
            case POST_DATA -> {
                if (main == null) {
                    return;
                }
                if (v.postDataTotal() >= 0) {
                    main.maxHint(v.postDataTotal());
                }
                main.stepTo(v.postDataDone());
                List<String> running = v.postDataRunning();
                main.setExtraMessage(
                        running.isEmpty()
                                ? ""
                                : "creating " + running.get(0)
                                        + (running.size() > 1 ? " (+" + (running.size() - 1) + " more)" : ""));
            }
            default -> {}
        }
    }

    private void updateRows(View v) {
        if (main == null) {
            if (v.tablesTotal() == 0) {
                return;
            }
            long unit = unitFor(v.bytesEstimated());
            main = add(
                    "rows",
                    b -> b.setUnit(" " + unitName(unit), unit)
                            .setInitialMax(Math.max(1, v.bytesEstimated()))
                            .setEtaFunction(state -> Optional.ofNullable(latest.eta())));
            int lines = Math.min(tableLines, v.tablesTotal());
            slots = new TableId[lines];
            slotViews = new TableView[lines];
            for (int i = 0; i < lines; i++) {
                int slot = i;
                add("", b -> b.setRenderer((state, width) -> renderTable(slot, width)));
            }
        }
        boolean done = v.fraction() >= 1;
        main.maxHint(done ? v.bytesCopied() : Math.max(v.bytesEstimated(), v.bytesCopied() + 1));
        main.stepTo(v.bytesCopied());
        int more = Math.max(0, v.copying().size() - slots.length);
        main.setExtraMessage(ProgressFormat.rate(v.bytesPerSecond()) + ", " + v.tablesDone() + "/" + v.tablesTotal()
                + " tables" + (more > 0 ? ", " + more + " more in flight" : ""));
        assignSlots(v.copying());
    }

    /** Keeps each table on the line it started on; a line frees up when its table is done. */
    private void assignSlots(List<TableView> copying) {
        Map<TableId, TableView> byId = new HashMap<>();
        copying.forEach(t -> byId.put(t.table(), t));
        for (int i = 0; i < slots.length; i++) {
            if (slots[i] != null && !byId.containsKey(slots[i])) {
                slots[i] = null;
            }
        }
        List<TableId> shownIds = Arrays.asList(slots);
        for (TableView t : copying) {
            if (!shownIds.contains(t.table())) {
                for (int i = 0; i < slots.length; i++) {
                    if (slots[i] == null) {
                        slots[i] = t.table();
                        break;
                    }
                }
            }
        }
        TableView[] views = new TableView[slots.length];
        for (int i = 0; i < slots.length; i++) {
            views[i] = slots[i] == null ? null : byId.get(slots[i]);
        }
        slotViews = views;
    }

    private String renderTable(int slot, int width) {
        TableView[] views = slotViews;
        TableView t = slot < views.length ? views[slot] : null;
        return t == null ? ProgressFormat.fit("", width) : ProgressFormat.tableLine(t, width, unicode);
    }

    private String renderPreData(ProgressState state, int width) {
        String line = state.isAlive()
                ? "schema pre-data: running for " + ProgressFormat.duration(state.getTotalElapsed())
                : "schema pre-data: done in " + ProgressFormat.duration(state.getTotalElapsed());
        return ProgressFormat.fit(line, width);
    }

    /** Opens a bar on a line of its own. */
    private ProgressBar add(String task, UnaryOperator<ProgressBarBuilder> options) {
        Line line = new Line(consumers.get());
        ProgressBar bar = options.apply(new ProgressBarBuilder()
                        .setTaskName(task)
                        .setStyle(unicode ? ProgressBarStyle.UNICODE_BLOCK : ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(TICK_MILLIS)
                        .continuousUpdate()
                        .setConsumer(line))
                .build();
        bars.add(new Shown(bar, line));
        return bar;
    }

    /** A bar and the line it draws on. */
    private record Shown(ProgressBar bar, Line line) {}

    /**
     * A consumer that knows whether it has drawn yet. The library skips closing the consumer of a bar
     * closed before its first drawing, and an interactive consumer left open shifts every later line.
     */
    private static final class Line implements ProgressBarConsumer {
        private final ProgressBarConsumer out;
        private final CountDownLatch drawn = new CountDownLatch(1);

        Line(ProgressBarConsumer out) {
            this.out = out;
        }

        @Override
        public int getMaxRenderedLength() {
            return out.getMaxRenderedLength();
        }

        @Override
        public void accept(String rendered) {
            out.accept(rendered);
            drawn.countDown();
        }

        @Override
        public void close() {
            out.close();
        }

        void awaitDrawn() {
            try {
                drawn.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void closeBars() {
        if (main != null && shown == Phase.ROWS) {
            assignSlots(List.of());
        }
        for (Shown shown : bars) {
            shown.line().awaitDrawn();
            shown.bar().close();
        }
        bars.clear();
        main = null;
        slots = new TableId[0];
    }

    /** A unit that keeps the bar's numbers short: KiB below 10 MiB, MiB below 10 GiB, GiB above. */
    private static long unitFor(long bytes) {
        if (bytes < 10L << 20) {
            return 1L << 10;
        }
        return bytes < 10L << 30 ? 1L << 20 : 1L << 30;
    }

    private static String unitName(long unit) {
        return unit == 1L << 10 ? "KiB" : unit == 1L << 20 ? "MiB" : "GiB";
    }

    @Override
    public boolean live() {
        return true;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            tick();
            closeBars();
            shown = Phase.DONE;
        }
    }
}
