package dev.sluice.snapshot;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * is split into page ranges so that it, too, uses every worker. With no processors, rows pass from
 * {@code COPY TO} to {@code COPY FROM} byte for byte; with processors, each row is parsed, passed
 * through them as an insert (exactly as a streamed row would be), and encoded again. Memory holds
 * one chunk per worker whatever the table size. Each table part commits on its own.
 */
public final class SnapshotCopier {

    private static final Logger log = LoggerFactory.getLogger(SnapshotCopier.class);
    private static final int CHUNK_BYTES = 1 << 16;

    /**
     * How to copy.
     *
     * @param workers parallel connections to each side (default: the machine's cores)
     * @param splitPages tables larger than this many 8 kB pages are copied in ranges of this size
     */
    public record Config(PgUrl source, PgUrl target, int workers, long splitPages, List<Processor> processors) {
        public static final long DEFAULT_SPLIT_PAGES = 16_384;

        public Config {
            processors = List.copyOf(processors);
        }
    }

    /** What was copied of one table. */
    public record TableResult(TableId table, long rows, long bytes, Duration took) {}

    private final Config config;

    public SnapshotCopier(Config config) {
        this.config = config;
    }

    /** Copies the tables as of the snapshot; fails naming the table when a part fails. */
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
        return summarize(tables, tasks);
    }

    /** One part of one table: a page range, or all of it. */
    private static final class CopyTask {
        final SourceTableShape shape;
        final long fromPage;
        final long toPage;
        volatile long rows;
        volatile long bytes;
        volatile long nanos;

        CopyTask(SourceTableShape shape, long fromPage, long toPage) {
            this.shape = shape;
            this.fromPage = fromPage;
            this.toPage = toPage;
        }

        boolean isRange() {
            return toPage >= 0;
        }
    }

    private List<CopyTask> plan(List<TableId> tables) {
        List<CopyTask> tasks = new ArrayList<>();
        try (Connection conn = connect(config.source(), "source")) {
            for (TableId table : tables) {
                SourceTableShape shape = SourceTableShape.read(conn, table);
                if (!shape.partitioned() && shape.pages() > 2 * config.splitPages()) {
                    for (long from = 0; from < shape.pages(); from += config.splitPages()) {
                        boolean last = from + config.splitPages() >= shape.pages();
                        // The last range is open-ended: pages added since the statistics are still copied.
                        tasks.add(new CopyTask(shape, from, last ? Long.MAX_VALUE : from + config.splitPages()));
                    }
                } else {
                    tasks.add(new CopyTask(shape, 0, -1));
                }
            }
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.SOURCE_UNREACHABLE, "Reading table sizes on the source failed: " + e.getMessage(), e);
        }
        // Largest parts first, so the last ones to finish are small.
        tasks.sort(Comparator.comparingLong((CopyTask t) -> t.isRange() ? t.shape.pages() / 2 : t.shape.pages())
                .reversed());
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
            quietTriggers(target);
            CopyTask task;
            while (!failed.get() && (task = queue.poll()) != null) {
                copy(source, target, task);
                target.commit();
            }
            source.rollback();
        } catch (SQLException e) {
            failed.set(true);
            throw new SluiceException(Reason.APPLY, "Snapshot copy failed: " + PgErrors.firstLine(e.getMessage()), e);
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

    private void copy(Connection source, Connection target, CopyTask task) throws SQLException {
        SourceTableShape shape = task.shape;
        String where = !task.isRange()
                ? ""
                : " WHERE ctid >= '(" + task.fromPage + ",0)'::tid"
                        + (task.toPage == Long.MAX_VALUE ? "" : " AND ctid < '(" + task.toPage + ",0)'::tid");
        String select =
                "COPY (SELECT " + shape.columnList() + " FROM " + shape.id().quoted() + where + ") TO STDOUT";
        long started = System.nanoTime();
        CopyOut out = source.unwrap(PGConnection.class).getCopyAPI().copyOut(select);
        CopyIn in = target.unwrap(PGConnection.class)
                .getCopyAPI()
                .copyIn("COPY " + shape.id().quoted() + " (" + shape.columnList() + ") FROM STDIN");
        long rows = 0;
        long bytes = 0;
        try {
            StringBuilder text = config.processors().isEmpty() ? null : new StringBuilder(CHUNK_BYTES + 1024);
            int[] columns = shape.allColumns();
            byte[] row;
            while ((row = out.readFromCopy()) != null) {
                bytes += row.length;
                if (text == null) {
                    in.writeToCopy(row, 0, row.length);
                    rows++;
                    continue;
                }
                String line = new String(row, 0, row.length - 1, StandardCharsets.UTF_8);
                RowChange change = new Insert(shape.relation(), Tuple.wrap(CopyFormat.parseLine(line, shape.width())));
                for (Processor p : config.processors()) {
                    change = p.process(change);
                    if (change == null) {
                        break;
                    }
                }
                if (change instanceof Insert insert) {
                    CopyFormat.appendRow(text, insert.after(), columns);
                    rows++;
                }
                if (text.length() >= CHUNK_BYTES) {
                    write(in, text);
                }
            }
            if (text != null) {
                write(in, text);
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
        task.rows = rows;
        task.bytes = bytes;
        task.nanos = System.nanoTime() - started;
        log.debug("Copied {} rows of {}", rows, shape.id());
    }

    private static void write(CopyIn in, StringBuilder text) throws SQLException {
        if (text.isEmpty()) {
            return;
        }
        byte[] chunk = text.toString().getBytes(StandardCharsets.UTF_8);
        in.writeToCopy(chunk, 0, chunk.length);
        text.setLength(0);
    }

    private static List<TableResult> summarize(List<TableId> tables, List<CopyTask> tasks) {
        List<TableResult> results = new ArrayList<>();
        for (TableId table : tables) {
            long rows = 0;
            long bytes = 0;
            long nanos = 0;
            for (CopyTask t : tasks) {
                if (t.shape.id().equals(table)) {
                    rows += t.rows;
                    bytes += t.bytes;
                    nanos = Math.max(nanos, t.nanos);
                }
            }
            results.add(new TableResult(table, rows, bytes, Duration.ofNanos(nanos)));
        }
        return Collections.unmodifiableList(results);
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
