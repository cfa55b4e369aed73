package dev.sluice.snapshot.progress;

import dev.sluice.core.TableId;
import dev.sluice.snapshot.SnapshotCopier;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * Counts a snapshot as it goes: its phase, every table's estimated and copied rows and bytes, the
 * recent copy rate and the time left. The copier reports to it as a {@link SnapshotCopier.Listener};
 * whoever drives the snapshot reports the phases and the post-data objects. Displays, logs,
 * {@code /metrics} and tests read it through {@link #view()}; it draws nothing itself.
 *
 * <p>Thread-safe. {@link #copied} is the hot path (every worker, every 64 kB) and only adds to
 * striped counters; every reading method may run on any thread at any time.
 *
 * <p>Estimates come from the source's statistics, which may be stale or missing (a table never
 * analyzed reads as 0 rows in 0 pages), and count heap pages while the copy counts {@code COPY}
 * text. So the expected total is re-estimated as rows arrive: a finished table counts what it
 * really held, a table being copied is extrapolated from its bytes per row, waiting tables are
 * scaled by what finished tables held against their estimate, and no table is ever expected to
 * hold less than already arrived. Fractions therefore stay within 0..1 (1 only once every table is
 * done) and time left is never negative.
 */
public final class SnapshotProgress implements SnapshotCopier.Listener, MeterBinder {

    /** The steps of a snapshot, in order; a snapshot may skip some (no schema, no rows). */
    public enum Phase {
        NOT_STARTED("not started"),
        PRE_DATA("schema pre-data"),
        ROWS("rows"),
        POST_DATA("post-data"),
        DONE("done");

        private final String label;

        Phase(String label) {
            this.label = label;
        }

        /** For people: {@code schema pre-data}, {@code rows}, ... */
        public String label() {
            return label;
        }
    }

    /** Where one table stands. */
    public enum TableState {
        WAITING,
        COPYING,
        DONE
    }

    /**
     * One table's progress.
     *
     * @param estimatedRows the statistics' row count (0 when unknown)
     * @param estimatedBytes the bytes this table is now expected to hold (see the class comment)
     * @param bytesPerSecond over the recent window, 0 unless copying
     * @param elapsed since its first rows arrived (until done); zero while waiting
     * @param eta time left, {@code null} when unknown
     */
    public record TableView(
            TableId table,
            TableState state,
            long rows,
            long estimatedRows,
            long bytes,
            long estimatedBytes,
            double bytesPerSecond,
            Duration elapsed,
            Duration eta) {

        /** Share copied, 0..1; below 1 until done, 0 when nothing is known. */
        public double fraction() {
            return state == TableState.DONE ? 1 : capped(bytes, estimatedBytes);
        }
    }

    /**
     * The whole snapshot at one instant.
     *
     * @param elapsed since the snapshot started (the first phase)
     * @param phaseElapsed since the current phase started
     * @param bytesEstimated bytes all tables are now expected to hold, never below {@code bytesCopied}
     * @param bytesPerSecond rows' bytes per second over the last {@value #RATE_WINDOW_SECONDS} s or so
     * @param eta time until every row is copied; {@code null} when unknown, zero once rows are done
     * @param copying the tables being copied, the largest (by expected bytes) first
     * @param postDataTotal post-data objects to create, -1 when not told
     * @param postDataRunning post-data objects being created
     */
    public record View(
            Phase phase,
            Duration elapsed,
            Duration phaseElapsed,
            int tablesTotal,
            int tablesDone,
            long rowsCopied,
            long rowsEstimated,
            long bytesCopied,
            long bytesEstimated,
            double bytesPerSecond,
            double rowsPerSecond,
            Duration eta,
            List<TableView> copying,
            int postDataTotal,
            int postDataDone,
            List<String> postDataRunning) {

        /** Share of the rows' bytes copied, 0..1; 1 only once every table is done (or rows are behind). */
        public double fraction() {
            if (phase.compareTo(Phase.ROWS) > 0 || (tablesTotal > 0 && tablesDone == tablesTotal)) {
                return 1;
            }
            return capped(bytesCopied, bytesEstimated);
        }
    }

    static final int RATE_WINDOW_SECONDS = 10;
    private static final long RATE_WINDOW =
            Duration.ofSeconds(RATE_WINDOW_SECONDS).toNanos();
    /** Readings closer together than this share a sample, so frequent readers keep the history short. */
    private static final long SAMPLE_GAP = Duration.ofSeconds(1).toNanos();
    /** A rate over less time than this says nothing. */
    private static final long MIN_RATE_SPAN = Duration.ofMillis(200).toNanos();
    /** Finished tables calibrate the estimates of waiting ones only once their estimates add up to this much. */
    private static final long CALIBRATION_MIN_BYTES = 1 << 20;
    /** Per-table meters cover at most this many tables, the largest. */
    static final int MAX_TABLE_METERS = 1000;

    private static final long UNSET = Long.MIN_VALUE;

    /** One table; counters are written by copy workers, the rest under the progress's lock or once. */
    private static final class Table {
        final TableId id;
        volatile long estimatedRows;
        volatile long estimatedBytes;
        final LongAdder rows = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final AtomicLong startNanos = new AtomicLong(UNSET);
        volatile long endNanos;
        volatile TableState state = TableState.WAITING;
        /** Copied by an earlier run: counts as done, but not towards the rate or the calibration. */
        volatile boolean resumed;

        Table(TableId id, long estimatedRows, long estimatedBytes) {
            this.id = id;
            this.estimatedRows = estimatedRows;
            this.estimatedBytes = estimatedBytes;
        }
    }

    /** Counts at one instant, for rates over a window. */
    private record Sample(long nanos, long rows, long bytes, Map<Table, Long> tableBytes) {}

    private final LongSupplier clock;
    private final Map<TableId, Table> tables = new ConcurrentHashMap<>();
    private final List<Table> order = new CopyOnWriteArrayList<>();
    /** Copied by this run (resumed tables excluded), so rates only see this run's work. */
    private final LongAdder rows = new LongAdder();

    private final LongAdder bytes = new LongAdder();
    private final AtomicLong resumedRows = new AtomicLong();
    private final AtomicLong resumedBytes = new AtomicLong();
    private final AtomicInteger tablesDone = new AtomicInteger();
    private final AtomicInteger postDataTotal = new AtomicInteger(-1);
    private final AtomicInteger postDataDone = new AtomicInteger();
    private final Map<String, Long> postDataRunning = new ConcurrentHashMap<>();
    private volatile Phase phase = Phase.NOT_STARTED;
    private volatile long startNanos = UNSET;
    private volatile long phaseNanos;

    // Guarded by this.
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private final List<MultiGauge[]> tableMeters = new ArrayList<>();

    public SnapshotProgress() {
        this(System::nanoTime);
    }

    /** With a clock in nanoseconds, for tests. */
    SnapshotProgress(LongSupplier clock) {
        this.clock = clock;
        this.phaseNanos = clock.getAsLong();
    }

    // ---- Reports from whoever drives the snapshot.

    /**
     * The snapshot entered a phase. Phases only move forward: an earlier phase than the current one
     * is ignored. {@link #planned} moves to {@link Phase#ROWS} and {@link #postDataPlanned} to
     * {@link Phase#POST_DATA} on their own.
     */
    public synchronized void phase(Phase next) {
        if (next.compareTo(phase) <= 0) {
            return;
        }
        long now = clock.getAsLong();
        if (startNanos == UNSET) {
            startNanos = now;
        }
        phaseNanos = now;
        phase = next;
    }

    /**
     * A table a previous run already copied, as the ledger recorded it: it counts as done, but not
     * towards the rate. Call before the copy starts.
     */
    public synchronized void alreadyCopied(TableId table, long rows, long bytes) {
        Table t = register(table, rows, bytes);
        if (t.state == TableState.DONE) {
            return;
        }
        t.resumed = true;
        t.rows.add(rows);
        t.bytes.add(bytes);
        resumedRows.addAndGet(rows);
        resumedBytes.addAndGet(bytes);
        long now = clock.getAsLong();
        t.startNanos.set(now);
        t.endNanos = now;
        t.state = TableState.DONE;
        tablesDone.incrementAndGet();
    }

    /** The post-data section holds this many objects (indexes, constraints, triggers, ...) to create. */
    public void postDataPlanned(int objects) {
        phase(Phase.POST_DATA);
        postDataTotal.set(Math.max(objects, postDataDone.get() + postDataRunning.size()));
    }

    /**
     * A post-data object is being created, e.g. {@code index public.orders_created_idx}; optional.
     * Indexes of tables already copied start while rows are still copied, so this does not change
     * the phase.
     */
    public void postDataStarted(String object) {
        postDataRunning.put(object, clock.getAsLong());
        postDataTotal.accumulateAndGet(
                postDataDone.get() + postDataRunning.size(), (t, n) -> t < 0 ? t : Math.max(t, n));
    }

    /** A post-data object is created; as {@link #postDataStarted}, this does not change the phase. */
    public void postDataDone(String object) {
        postDataRunning.remove(object);
        int done = postDataDone.incrementAndGet();
        postDataTotal.accumulateAndGet(done + postDataRunning.size(), (t, n) -> t < 0 ? t : Math.max(t, n));
    }

    // ---- Reports from the copier.

    @Override
    public synchronized void planned(List<SnapshotCopier.TableEstimate> estimates) {
        phase(Phase.ROWS);
        for (SnapshotCopier.TableEstimate e : estimates) {
            Table t = register(e.table(), e.rows(), e.bytes());
            if (t.state == TableState.WAITING) {
                t.estimatedRows = e.rows();
                t.estimatedBytes = e.bytes();
            }
        }
        if (samples.isEmpty()) {
            samples.add(sample(clock.getAsLong()));
        }
        refreshTableMeters();
    }

    @Override
    public void copied(TableId table, long rows, long bytes) {
        Table t = tables.get(table);
        if (t == null) {
            t = unplanned(table);
        }
        t.rows.add(rows);
        t.bytes.add(bytes);
        this.rows.add(rows);
        this.bytes.add(bytes);
        if (t.state == TableState.WAITING && t.startNanos.compareAndSet(UNSET, clock.getAsLong())) {
            t.state = TableState.COPYING;
        }
    }

    @Override
    public void finished(Connection target, SnapshotCopier.TableResult result) {
        Table t = tables.get(result.table());
        if (t == null) {
            t = unplanned(result.table());
        }
        long now = clock.getAsLong();
        t.startNanos.compareAndSet(UNSET, now);
        t.endNanos = now;
        if (t.state != TableState.DONE) {
            t.state = TableState.DONE;
            tablesDone.incrementAndGet();
        }
    }

    private synchronized Table unplanned(TableId table) {
        Table t = register(table, 0, 0);
        refreshTableMeters();
        return t;
    }

    /** Guarded by this. */
    private Table register(TableId id, long estimatedRows, long estimatedBytes) {
        Table t = tables.get(id);
        if (t == null) {
            t = new Table(id, estimatedRows, estimatedBytes);
            tables.put(id, t);
            order.add(t);
        }
        return t;
    }

    // ---- Readings.

    public Phase currentPhase() {
        return phase;
    }

    public int tablesTotal() {
        return order.size();
    }

    public int tablesDone() {
        return tablesDone.get();
    }

    public long rowsCopied() {
        return resumedRows.get() + rows.sum();
    }

    public long bytesCopied() {
        return resumedBytes.get() + bytes.sum();
    }

    /** Bytes all tables are now expected to hold; see the class comment. */
    public long bytesEstimated() {
        double ratio = calibration();
        long total = 0;
        for (Table t : order) {
            total += expectedBytes(t, t.bytes.sum(), t.rows.sum(), ratio);
        }
        return total;
    }

    /** Every table, in the order the plan listed them. */
    public List<TableView> tables() {
        long now = clock.getAsLong();
        double ratio = calibration();
        List<TableView> views = new ArrayList<>(order.size());
        for (Table t : order) {
            views.add(tableView(t, now, ratio, null));
        }
        return views;
    }

    /**
     * Everything at this instant, with rates over the recent window. Readers that call this
     * regularly (a display every second, a scrape every 15 s) keep the rate recent; it is cheap
     * enough for both.
     */
    public synchronized View view() {
        long now = clock.getAsLong();
        Sample current = sample(now);
        Sample base = baseline(current);
        double ratio = calibration();

        long span = now - base.nanos;
        double bytesPerSecond = span < MIN_RATE_SPAN ? 0 : (current.bytes - base.bytes) * 1e9 / span;
        double rowsPerSecond = span < MIN_RATE_SPAN ? 0 : (current.rows - base.rows) * 1e9 / span;

        long rowsEstimated = 0;
        long bytesEstimated = 0;
        List<TableView> copying = new ArrayList<>();
        for (Table t : order) {
            long tableRows = t.rows.sum();
            long tableBytes = t.bytes.sum();
            rowsEstimated += t.state == TableState.DONE ? tableRows : Math.max(t.estimatedRows, tableRows);
            bytesEstimated += expectedBytes(t, tableBytes, tableRows, ratio);
            if (t.state == TableState.COPYING) {
                copying.add(tableView(t, now, ratio, base));
            }
        }
        copying.sort(Comparator.comparingLong(TableView::estimatedBytes).reversed());
        long copiedBytes = resumedBytes.get() + current.bytes;
        long copiedRows = resumedRows.get() + current.rows;
        bytesEstimated = Math.max(bytesEstimated, copiedBytes);
        rowsEstimated = Math.max(rowsEstimated, copiedRows);

        int total = order.size();
        int done = tablesDone.get();
        Duration eta;
        if (phase.compareTo(Phase.ROWS) > 0 || (total > 0 && done == total)) {
            eta = Duration.ZERO;
        } else if (phase != Phase.ROWS || bytesPerSecond <= 0) {
            eta = null;
        } else {
            eta = seconds((bytesEstimated - copiedBytes) / bytesPerSecond);
        }
        List<String> running = postDataRunning.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey)
                .toList();
        return new View(
                phase,
                startNanos == UNSET ? Duration.ZERO : Duration.ofNanos(now - startNanos),
                Duration.ofNanos(Math.max(0, now - phaseNanos)),
                total,
                done,
                copiedRows,
                rowsEstimated,
                copiedBytes,
                bytesEstimated,
                bytesPerSecond,
                rowsPerSecond,
                eta,
                List.copyOf(copying),
                postDataTotal.get(),
                postDataDone.get(),
                running);
    }

    /** Guarded by this: the counts now, kept as a sample when the last one is old enough. */
    private Sample sample(long now) {
        Map<Table, Long> inFlight = new IdentityHashMap<>();
        for (Table t : order) {
            if (t.state == TableState.COPYING) {
                inFlight.put(t, t.bytes.sum());
            }
        }
        Sample s = new Sample(now, rows.sum(), bytes.sum(), inFlight);
        if (samples.isEmpty() || now - samples.peekLast().nanos >= SAMPLE_GAP) {
            samples.addLast(s);
        }
        return s;
    }

    /** Guarded by this: the newest sample at least a window old, else the oldest; forgets older ones. */
    private Sample baseline(Sample current) {
        while (samples.size() >= 2) {
            Sample first = samples.pollFirst();
            if (samples.peekFirst().nanos > current.nanos - RATE_WINDOW) {
                samples.addFirst(first);
                break;
            }
        }
        return samples.isEmpty() ? current : samples.peekFirst();
    }

    /**
     * What finished tables held against their estimates, to scale the estimates of waiting ones;
     * 1 until enough has finished to tell.
     */
    private double calibration() {
        long estimated = 0;
        long held = 0;
        for (Table t : order) {
            if (t.state == TableState.DONE && !t.resumed && t.estimatedBytes > 0) {
                estimated += t.estimatedBytes;
                held += t.bytes.sum();
            }
        }
        return estimated < CALIBRATION_MIN_BYTES ? 1 : (double) held / estimated;
    }

    private static long expectedBytes(Table t, long copiedBytes, long copiedRows, double ratio) {
        TableState state = t.state;
        if (state == TableState.DONE) {
            return copiedBytes;
        }
        long estimatedRows = t.estimatedRows;
        double guess = state == TableState.COPYING && copiedRows > 0 && estimatedRows > 0
                ? (double) copiedBytes / copiedRows * estimatedRows
                : t.estimatedBytes * ratio;
        return Math.max(copiedBytes, (long) guess);
    }

    private TableView tableView(Table t, long now, double ratio, Sample base) {
        TableState state = t.state;
        long tableRows = t.rows.sum();
        long tableBytes = t.bytes.sum();
        long expected = expectedBytes(t, tableBytes, tableRows, ratio);
        long start = t.startNanos.get();
        Duration elapsed = state == TableState.WAITING || start == UNSET
                ? Duration.ZERO
                : Duration.ofNanos(Math.max(0, (state == TableState.DONE ? t.endNanos : now) - start));
        double rate = 0;
        Duration eta = state == TableState.DONE ? Duration.ZERO : null;
        if (state == TableState.COPYING && base != null) {
            Long before = base.tableBytes.get(t);
            long fromNanos = before == null ? start : base.nanos;
            long fromBytes = before == null ? 0 : before;
            if (now - fromNanos >= MIN_RATE_SPAN) {
                rate = (tableBytes - fromBytes) * 1e9 / (now - fromNanos);
            }
            if (rate > 0) {
                eta = seconds((expected - tableBytes) / rate);
            }
        }
        return new TableView(t.id, state, tableRows, t.estimatedRows, tableBytes, expected, rate, elapsed, eta);
    }

    private static Duration seconds(double s) {
        return Duration.ofMillis(Math.max(0, Math.round(s * 1000)));
    }

    static double capped(long part, long whole) {
        return whole <= 0 ? 0 : Math.min(0.999, (double) part / whole);
    }

    // ---- Metrics.

    /**
     * Registers the snapshot's meters: {@code sluice_snapshot_phase} (0 not started, 1 schema
     * pre-data, 2 rows, 3 post-data, 4 done), {@code sluice_snapshot_tables},
     * {@code sluice_snapshot_tables_done}, {@code sluice_snapshot_rows_copied} and {@code
     * sluice_snapshot_bytes_copied} (counters), {@code sluice_snapshot_rows_estimated}, {@code
     * sluice_snapshot_bytes_estimated}, {@code sluice_snapshot_eta_seconds} (NaN when unknown),
     * {@code sluice_snapshot_post_data_objects} and {@code sluice_snapshot_post_data_objects_done}
     * (-1 and 0 until told), and per table (the {@value #MAX_TABLE_METERS} largest) {@code
     * sluice_snapshot_table_rows_copied} and {@code sluice_snapshot_table_bytes_copied} tagged
     * {@code table}. The meters hold this object strongly, so they keep reporting the final state
     * after the snapshot.
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        gauge(
                registry,
                "sluice_snapshot_phase",
                "Snapshot phase: 0 not started, 1 schema pre-data, 2 rows,"
                        + " 3 post-data (indexes, constraints), 4 done",
                p -> p.phase.ordinal());
        gauge(registry, "sluice_snapshot_tables", "Tables the snapshot copies", SnapshotProgress::tablesTotal);
        gauge(
                registry,
                "sluice_snapshot_tables_done",
                "Tables whose rows are all copied",
                SnapshotProgress::tablesDone);
        FunctionCounter.builder("sluice_snapshot_rows_copied", this, SnapshotProgress::rowsCopied)
                .description("Rows the snapshot copied to the target")
                .register(registry);
        FunctionCounter.builder("sluice_snapshot_bytes_copied", this, SnapshotProgress::bytesCopied)
                .description("Bytes of COPY text the snapshot copied to the target")
                .register(registry);
        gauge(
                registry,
                "sluice_snapshot_rows_estimated",
                "Rows all tables are expected to hold",
                p -> p.view().rowsEstimated());
        gauge(
                registry,
                "sluice_snapshot_bytes_estimated",
                "Bytes of COPY text all tables are expected to hold (re-estimated as rows arrive)",
                SnapshotProgress::bytesEstimated);
        gauge(registry, "sluice_snapshot_eta_seconds", "Estimated seconds until every row is copied", p -> {
            Duration eta = p.view().eta();
            return eta == null ? Double.NaN : eta.toMillis() / 1000.0;
        });
        gauge(
                registry,
                "sluice_snapshot_post_data_objects",
                "Post-data objects (indexes, constraints, ...) to create; -1 until known",
                p -> p.postDataTotal.get());
        gauge(
                registry,
                "sluice_snapshot_post_data_objects_done",
                "Post-data objects created",
                p -> p.postDataDone.get());
        synchronized (this) {
            tableMeters.add(new MultiGauge[] {
                MultiGauge.builder("sluice_snapshot_table_rows_copied")
                        .description("Rows copied of one table")
                        .register(registry),
                MultiGauge.builder("sluice_snapshot_table_bytes_copied")
                        .description("Bytes of COPY text copied of one table")
                        .register(registry)
            });
            refreshTableMeters();
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<SnapshotProgress> f) {
        Gauge.builder(name, this, f)
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    /** Guarded by this. */
    private void refreshTableMeters() {
        if (tableMeters.isEmpty()) {
            return;
        }
        List<Table> largest = order.stream()
                .sorted(Comparator.comparingLong((Table t) -> t.estimatedBytes).reversed())
                .limit(MAX_TABLE_METERS)
                .toList();
        for (MultiGauge[] meters : tableMeters) {
            meters[0].register(
                    largest.stream()
                            .map(t -> MultiGauge.Row.of(Tags.of("table", t.id.toString()), t.rows, LongAdder::sum))
                            .toList(),
                    true);
            meters[1].register(
                    largest.stream()
                            .map(t -> MultiGauge.Row.of(Tags.of("table", t.id.toString()), t.bytes, LongAdder::sum))
                            .toList(),
                    true);
        }
    }
}
