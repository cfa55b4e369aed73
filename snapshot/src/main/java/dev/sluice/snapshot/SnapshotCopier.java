package dev.sluice.snapshot;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.spi.Processor;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies tables from the source, as of an exported snapshot, into the target's existing tables with
 * parallel {@code COPY}, never through a file.
 *
 * <p>Every worker imports the same snapshot, so all tables are read as of one instant. A large table
 * is split into page ranges so that it, too, uses every worker. A table no processor changes (see
 * {@link Processor#changes}) passes from {@code COPY TO} to {@code COPY FROM} byte for byte, in
 * binary format where both ends read it alike (see {@link #binaryCopy}), which spares both servers
 * the text form of numbers and times; otherwise each row passes through the processors as an insert
 * (exactly as a streamed row would), with only the fields they use ({@link Processor#columnsUsed})
 * decoded and only the fields they change encoded again, the others copied byte for byte
 * ({@link RowSplicer}). Memory holds one chunk per worker whatever the table size. Each table part
 * commits on its own.
 */
public final class SnapshotCopier {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCopier.class);
    private static final int CHUNK_BYTES = 1 << 16;
    private static final long PAGE_BYTES = 8192;

    /**
     * How to copy.
     *
     * @param workers parallel connections to each side (default: the machine's cores)
     * @param splitPages tables larger than this many 8 kB pages are copied in ranges of this size
     * @param slots a part is copied only while holding one; shared with the indexes built during the
     *     copy, so that copies and index builds together keep as many sessions busy as there are
     *     workers, as {@code pg_restore -j} does, instead of crowding the cores
     */
    public record Config(
            PgUrl source, PgUrl target, int workers, long splitPages, List<Processor> processors, Semaphore slots) {
        public static final long DEFAULT_SPLIT_PAGES = 16_384;

        public Config {
            processors = List.copyOf(processors);
        }

        public Config(PgUrl source, PgUrl target, int workers, long splitPages, List<Processor> processors) {
            this(source, target, workers, splitPages, processors, new Semaphore(Math.max(1, workers)));
        }
    }

    /**
     * What was copied of one table.
     *
     * @param bytes of {@code COPY} data, text or binary
     * @param binary every part of it went through binary {@code COPY}
     */
    public record TableResult(TableId table, long rows, long bytes, Duration took, boolean binary) {}

    /** A table about to be copied, with the source's estimate of its size (from the statistics). */
    public record TableEstimate(TableId table, long rows, long bytes) {}

    /** Hears of the copy as it goes. Workers call it concurrently, so implementations must be thread-safe. */
    public interface Listener {
        /** Before any row moves: every table to copy, with its estimated size. */
        default void planned(List<TableEstimate> tables) {}

        /** Rows and bytes just sent to the target, not yet committed. */
        default void copied(TableId table, long rows, long bytes) {}

        /**
         * Every part of a table is copied. Runs inside the open target transaction that commits the
         * table's last part (or one of its own right after), so what it writes there is committed
         * exactly when the table is.
         */
        default void finished(Connection target, TableResult result) throws SQLException {}

        /** That table's rows are committed on the target. */
        default void committed(TableResult result) {}
    }

    private static final Listener SILENT = new Listener() {};

    private final Config config;
    private final Listener listener;

    public SnapshotCopier(Config config) {
        this(config, SILENT);
    }

    public SnapshotCopier(Config config, Listener listener) {
        this.config = config;
        this.listener = listener;
    }

    /**
     * Copies the tables as of the snapshot; fails naming the table when a part fails. A partitioned
     * table is copied partition by partition, each split on its own, and reported as one table.
     */
    public List<TableResult> copy(ExportedSnapshot snapshot, List<TableId> tables) {
        List<CopyTask> tasks = plan(tables);
        ConcurrentLinkedQueue<CopyTask> queue = new ConcurrentLinkedQueue<>(tasks);
        AtomicBoolean failed = new AtomicBoolean();
        int workers = Math.max(1, Math.min(config.workers(), tasks.size()));
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> new Thread(r, "sluice-copy"));
        List<Future<?>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < workers; i++) {
                futures.add(pool.submit(() -> work(snapshot, queue, failed)));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (ExecutionException e) {
            failed.set(true);
            if (e.getCause() instanceof SluiceException se) {
                throw se;
            }
            throw new SluiceException(Reason.INTERNAL, "Snapshot copy failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            failed.set(true);
            Thread.currentThread().interrupt();
            throw new SluiceException(Reason.INTERNAL, "Snapshot copy interrupted", e);
        } finally {
            pool.shutdownNow();
        }
        return tasks.stream()
                .map(t -> t.table)
                .distinct()
                .map(TableCopy::result)
                .toList();
    }

    /** One table being copied, in one or more parts (page ranges, partitions). */
    private static final class TableCopy {
        final TableId id;
        final AtomicInteger partsLeft = new AtomicInteger();
        final AtomicLong rows = new AtomicLong();
        final AtomicLong bytes = new AtomicLong();
        /** Set while planning, before any worker starts. */
        boolean binary = true;

        final long startNanos = System.nanoTime();
        volatile long endNanos;

        TableCopy(TableId id) {
            this.id = id;
        }

        TableResult result() {
            return new TableResult(
                    id, rows.get(), bytes.get(), Duration.ofNanos(Math.max(0, endNanos - startNanos)), binary);
        }
    }

    /** How a table's rows travel: byte for byte in binary or in text, or through the processors. */
    private enum Route {
        BINARY,
        TEXT,
        PROCESSED
    }

    /** One part of one table: a page range of a table or partition, or all of it. */
    private record CopyTask(TableCopy table, SourceTableShape shape, Route route, long fromPage, long toPage) {
        boolean isRange() {
            return toPage >= 0;
        }

        long weight() {
            return isRange() ? Math.min(toPage, shape.pages()) - fromPage : shape.pages();
        }
    }

    private List<CopyTask> plan(List<TableId> tables) {
        List<CopyTask> tasks = new ArrayList<>();
        List<TableEstimate> estimates = new ArrayList<>();
        try (Connection conn = connect(config.source(), "source");
                Connection target = connect(config.target(), "target")) {
            boolean alike = alike(conn, target);
            for (TableId table : tables) {
                TableCopy copy = new TableCopy(table);
                long rows = 0;
                long pages = 0;
                for (TableId leaf : SourceTableShape.leaves(conn, table)) {
                    SourceTableShape shape = SourceTableShape.read(conn, leaf);
                    Route route = route(shape, alike, target);
                    copy.binary &= route == Route.BINARY;
                    rows += shape.estimatedRows();
                    pages += shape.pages();
                    if (shape.pages() > 2 * config.splitPages()) {
                        for (long from = 0; from < shape.pages(); from += config.splitPages()) {
                            boolean last = from + config.splitPages() >= shape.pages();
                            // The last range is open-ended: pages added since the statistics are still copied.
                            tasks.add(new CopyTask(
                                    copy, shape, route, from, last ? Long.MAX_VALUE : from + config.splitPages()));
                            copy.partsLeft.incrementAndGet();
                        }
                    } else {
                        tasks.add(new CopyTask(copy, shape, route, 0, -1));
                        copy.partsLeft.incrementAndGet();
                    }
                }
                estimates.add(new TableEstimate(table, rows, pages * PAGE_BYTES));
            }
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.SOURCE_UNREACHABLE,
                    "Planning the copy (table sizes on the source, column types on the target) failed: "
                            + PgErrors.firstLine(e.getMessage()),
                    e);
        }
        listener.planned(List.copyOf(estimates));
        // Largest parts first, so the last ones to finish are small.
        tasks.sort(Comparator.comparingLong(CopyTask::weight).reversed());
        return tasks;
    }

    private void work(ExportedSnapshot snapshot, ConcurrentLinkedQueue<CopyTask> queue, AtomicBoolean failed) {
        try (Connection source = connect(config.source(), "source");
                Connection target = connect(config.target(), "target")) {
            source.setAutoCommit(false);
            try (Statement st = source.createStatement()) {
                st.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshot.name().replace("'", "''") + "'");
            }
            target.setAutoCommit(false);
            try (Statement st = target.createStatement()) {
                // A commit lost to a target crash loses its ledger row with it, so the part is
                // copied again: nothing needs the copy's commits to wait for the disk.
                st.execute("SET synchronous_commit = off");
            }
            target.commit();
            quietTriggers(target);
            CopyTask task;
            while (!failed.get() && (task = queue.poll()) != null) {
                config.slots().acquireUninterruptibly();
                try {
                    copy(source, target, task);
                    commit(target, task.table);
                } finally {
                    config.slots().release();
                }
            }
            source.rollback();
        } catch (SQLException e) {
            failed.set(true);
            throw new SluiceException(Reason.APPLY, "Snapshot copy failed: " + PgErrors.firstLine(e.getMessage()), e);
        }
    }

    /**
     * Commits a part, and tells the listener when it was the table's last one. Parts count
     * themselves down only once committed, so a part that sees itself as the only one left knows
     * every other part is committed and can carry the listener's writes in its own transaction.
     */
    private void commit(Connection target, TableCopy table) throws SQLException {
        boolean lastBeforeCommit = table.partsLeft.get() == 1;
        if (lastBeforeCommit) {
            table.endNanos = System.nanoTime();
            listener.finished(target, table.result());
        }
        target.commit();
        if (table.partsLeft.decrementAndGet() == 0) {
            if (!lastBeforeCommit) {
                table.endNanos = System.nanoTime();
                listener.finished(target, table.result());
                target.commit();
            }
            listener.committed(table.result());
        }
    }

    private static void quietTriggers(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("SET session_replication_role = replica");
            target.commit();
        } catch (SQLException e) {
            // Without the privilege, foreign keys are checked per row; the copy still completes when
            // parents are copied no later than their children, which the source guarantees.
            target.rollback();
        }
    }

    /**
     * Whether the two servers read and write built-in types' binary forms alike: the same major
     * version, and the same database encoding, since a few types ({@code "char"}) go out in binary
     * as raw bytes where text would be converted between encodings.
     */
    private static boolean alike(Connection source, Connection target) throws SQLException {
        return source.getMetaData().getDatabaseMajorVersion()
                        == target.getMetaData().getDatabaseMajorVersion()
                && serverEncoding(source).equals(serverEncoding(target));
    }

    private static String serverEncoding(Connection conn) throws SQLException {
        // Reported by the server at connect (ParameterStatus): no query needed.
        return conn.unwrap(PGConnection.class).getParameterStatus("server_encoding");
    }

    /** How the rows of one table (or partition) travel, decided once for all its parts. */
    private Route route(SourceTableShape shape, boolean alike, Connection target) throws SQLException {
        if (config.processors().stream().anyMatch(p -> p.changes(shape.relation()))) {
            return Route.PROCESSED;
        }
        return alike && binaryCopy(target, shape) ? Route.BINARY : Route.TEXT;
    }

    private void copy(Connection source, Connection target, CopyTask task) throws SQLException {
        SourceTableShape shape = task.shape();
        boolean binary = task.route() == Route.BINARY;
        String format = binary ? " (FORMAT binary)" : "";
        String where = !task.isRange()
                ? ""
                : " WHERE ctid >= '(" + task.fromPage + ",0)'::tid"
                        + (task.toPage == Long.MAX_VALUE ? "" : " AND ctid < '(" + task.toPage + ",0)'::tid");
        String select = "COPY (SELECT " + shape.columnList() + " FROM ONLY "
                + shape.id().quoted() + where + ") TO STDOUT" + format;
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(select);
        CopyIn in = target.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("COPY " + shape.id().quoted() + " (" + shape.columnList() + ") FROM STDIN" + format);
        try {
            if (task.route() == Route.PROCESSED) {
                splice(out, in, task.table, new RowSplicer(shape.relation(), config.processors(), CHUNK_BYTES));
            } else {
                passThrough(out, in, task.table, binary);
            }
            in.endCopy();
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.APPLY,
                    "Copying " + shape.id() + (task.isRange() ? " (pages from " + task.fromPage + ")" : "")
                            + " failed: " + PgErrors.firstLine(e.getMessage()),
                    e);
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
            if (out.isActive()) {
                out.cancelCopy();
            }
        }
        log.debug("Copied a part of {}", shape.id());
    }

    /**
     * Whether this table's values can go from the source to the target in binary {@code COPY}
     * (asked once both servers are known to be {@link #alike}: built-in types have the same OIDs and
     * binary forms). Binary input is not converted to the column's type as text is, so each target
     * column must also have exactly the source's type: with {@code snapshot.mode: data} the target's
     * tables are the user's, and an {@code int} on the source may be a {@code bigint} there.
     */
    private static boolean binaryCopy(Connection target, SourceTableShape shape) throws SQLException {
        if (!shape.builtInTypes()) {
            return false;
        }
        Map<String, Integer> targetTypes = new HashMap<>();
        try (PreparedStatement ps = target.prepareStatement("SELECT attname, atttypid FROM pg_attribute"
                + " WHERE attrelid = to_regclass(?) AND attnum > 0 AND NOT attisdropped")) {
            ps.setString(1, shape.id().quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    targetTypes.put(rs.getString(1), rs.getInt(2));
                }
            }
        }
        return shape.relation().columns().stream()
                .allMatch(c -> Integer.valueOf(c.typeOid()).equals(targetTypes.get(c.name())));
    }

    /**
     * Rows go out in chunks: one message and one driver call per chunk instead of per row. Kept
     * apart from {@link #splice}, so that the JIT compiles this loop without the processors'
     * code and a table of either kind does not make it compile the other's loop again.
     */
    private void passThrough(CopyOut out, CopyIn in, TableCopy table, boolean binary) throws SQLException {
        byte[] chunk = new byte[CHUNK_BYTES];
        int buffered = 0;
        // Binary COPY sends one message more than rows: the header rides on the first row's message
        // and the trailer comes alone.
        long rows = binary ? -1 : 0;
        long bytes = 0;
        byte[] row;
        while ((row = out.readFromCopy()) != null) {
            bytes += row.length;
            if (buffered + row.length > chunk.length) {
                in.writeToCopy(chunk, 0, buffered);
                buffered = 0;
            }
            if (row.length > chunk.length) {
                in.writeToCopy(row, 0, row.length);
            } else {
                System.arraycopy(row, 0, chunk, buffered, row.length);
                buffered += row.length;
            }
            rows++;
            if (bytes >= CHUNK_BYTES) {
                report(table, rows, bytes);
                rows = 0;
                bytes = 0;
            }
        }
        if (buffered > 0) {
            in.writeToCopy(chunk, 0, buffered);
        }
        report(table, rows, bytes);
    }

    /** Each row through the processors as an insert; a row they drop is not written. */
    private void splice(CopyOut out, CopyIn in, TableCopy table, RowSplicer splicer) throws SQLException {
        Processor[] processors = config.processors().toArray(Processor[]::new);
        long rows = 0;
        long bytes = 0;
        byte[] row;
        while ((row = out.readFromCopy()) != null) {
            bytes += row.length;
            RowChange change = splicer.decode(row);
            for (int i = 0; i < processors.length && change != null; i++) {
                change = processors[i].process(change);
            }
            if (splicer.write(change)) {
                rows++;
            }
            if (splicer.buffered() >= CHUNK_BYTES) {
                splicer.drain(in::writeToCopy);
            }
            if (bytes >= CHUNK_BYTES) {
                report(table, rows, bytes);
                rows = 0;
                bytes = 0;
            }
        }
        splicer.drain(in::writeToCopy);
        report(table, rows, bytes);
    }

    private void report(TableCopy table, long rows, long bytes) {
        table.rows.addAndGet(rows);
        table.bytes.addAndGet(bytes);
        listener.copied(table.id, rows, bytes);
    }

    private static Connection connect(PgUrl url, String role) {
        try {
            Properties props = url.sessionProperties("sluice-copy");
            return DriverManager.getConnection(url.jdbcUrl(), props);
        } catch (SQLException e) {
            throw PgErrors.connectFailure(role, url, e);
        }
    }
}
