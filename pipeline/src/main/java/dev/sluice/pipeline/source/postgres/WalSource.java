package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.event.ChangeEvent;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.spi.Processor;
import dev.sluice.core.spi.Sink;
import dev.sluice.core.spi.Source;
import dev.sluice.ddl.DdlMessages;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a logical replication slot with {@code pgoutput} and hands the decoded events, through the
 * processors, to a sink.
 *
 * <p>The slot is told a position only once the sink reports it durable, so the source keeps every
 * transaction the target does not hold yet. When the stream is idle and everything received is
 * durable, the position of the last keepalive is confirmed too, so the slot does not retain WAL
 * written by other databases or unpublished tables.
 */
public final class WalSource implements Source {

    private static final Logger log = LoggerFactory.getLogger(WalSource.class);

    /** Events handed to the apply thread at once; small enough to keep latency, large enough to amortize. */
    private static final int CHUNK_EVENTS = 512;

    private static final long CHUNK_BYTES = 1L << 20;

    /** Decoded events in flight between the reader and the apply thread, by their size on the wire. */
    private static final long HANDOFF_BUDGET_BYTES = 16L << 20;

    /** While waiting on a slow target, status goes out this often: well inside any wal_sender_timeout. */
    private static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final PgUrl url;
    private final String slot;
    private final String publication;
    private final Duration statusInterval;
    private final List<Processor> processors;
    private final Stats stats;
    private final PgOutputDecoder decoder = new PgOutputDecoder();
    private final DdlMessages ddl = new DdlMessages();
    private final TableFilter tables;

    private volatile boolean stopped;
    private volatile boolean streaming;
    private volatile Lsn durable = Lsn.INVALID;
    private Connection conn;
    private PGReplicationStream stream;

    /** Begin positions and times of transactions received but not yet durable, oldest first, for lag. */
    private final ArrayDeque<Begin> undurable = new ArrayDeque<>();

    private boolean inTransaction;
    private long lastKeepAlive = System.nanoTime();
    private Lsn lastDeliveredEnd = Lsn.INVALID;
    private Lsn confirmed = Lsn.INVALID;

    public WalSource(
            PgUrl url,
            String slot,
            String publication,
            Duration statusInterval,
            TableFilter tables,
            List<Processor> processors,
            Stats stats) {
        this.stats = stats;
        this.tables = tables;
        this.url = url;
        this.slot = slot;
        this.publication = publication;
        this.statusInterval = statusInterval;
        this.processors = List.copyOf(processors);
    }

    /** Counters for metrics, safe to read from any thread. */
    public static final class Stats {
        public final AtomicLong events = new AtomicLong();
        public final AtomicLong rowChanges = new AtomicLong();
        /** Latest server WAL position seen (from data or keepalives). */
        public final AtomicLong serverWalEnd = new AtomicLong();
        /** Source commit time of the oldest transaction received but not yet durable; 0 when none. */
        public final AtomicLong oldestUndurableCommitMillis = new AtomicLong();
    }

    public Stats stats() {
        return stats;
    }

    @Override
    public void run(Sink sink) {
        Lsn resume = sink.start(this::durable);
        durable = resume;
        lastDeliveredEnd = resume;
        open(resume);
        ApplyThread apply = new ApplyThread(sink, HANDOFF_BUDGET_BYTES);
        boolean clean = false;
        try {
            readUntilStopped(apply);
            apply.finish();
            clean = true;
        } catch (SQLException e) {
            if (!stopped) {
                throw streamFailure(e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (!clean) {
                apply.abandon();
            }
        }
    }

    private void readUntilStopped(ApplyThread apply) throws SQLException, InterruptedException {
        List<ChangeEvent> chunk = new ArrayList<>(CHUNK_EVENTS);
        long chunkBytes = 0;
        long idleSleepMicros = 100;
        while (!stopped) {
            ByteBuffer message = stream.readPending();
            if (message == null) {
                if (!chunk.isEmpty()) {
                    if (!apply.submit(chunk, chunkBytes, this::keepAliveWhileWaiting)) {
                        return;
                    }
                    chunk = new ArrayList<>(CHUNK_EVENTS);
                    chunkBytes = 0;
                }
                apply.rethrow();
                feedback(true);
                TimeUnit.MICROSECONDS.sleep(idleSleepMicros);
                idleSleepMicros = Math.min(idleSleepMicros * 2, 10_000);
                continue;
            }
            idleSleepMicros = 100;
            stats.serverWalEnd.set(stream.getLastReceiveLSN().asLong());
            int size = message.remaining();
            ChangeEvent event = decoder.decode(message);
            if (event != null) {
                event = deliver(event);
            }
            if (event != null) {
                chunk.add(event);
                chunkBytes += size;
                if (chunk.size() >= CHUNK_EVENTS || chunkBytes >= CHUNK_BYTES) {
                    if (!apply.submit(chunk, chunkBytes, this::keepAliveWhileWaiting)) {
                        return;
                    }
                    chunk = new ArrayList<>(CHUNK_EVENTS);
                    chunkBytes = 0;
                }
            }
            feedback(false);
        }
        // Stopping: hand over what was read, so a transaction complete in it can still commit.
        if (!chunk.isEmpty()) {
            apply.submit(chunk, chunkBytes, this::keepAliveWhileWaiting);
        }
    }

    /**
     * Runs while the reader waits for the apply thread (a slow target): keeps telling the server we
     * are alive, so it does not end the stream after wal_sender_timeout; gives up when stopping.
     */
    private boolean keepAliveWhileWaiting() {
        if (stopped) {
            return false;
        }
        long now = System.nanoTime();
        if (now - lastKeepAlive >= KEEP_ALIVE_NANOS) {
            lastKeepAlive = now;
            try {
                stream.forceUpdateStatus();
            } catch (SQLException e) {
                throw streamFailure(e);
            }
        }
        return true;
    }

    /** Tracks transaction boundaries and runs the processors; returns the event to apply, or null to drop it. */
    private ChangeEvent deliver(ChangeEvent event) {
        stats.events.incrementAndGet();
        switch (event) {
            case Begin begin -> {
                inTransaction = true;
                undurable.addLast(begin);
                if (undurable.size() == 1) {
                    stats.oldestUndurableCommitMillis.set(begin.commitTime().toEpochMilli());
                }
            }
            case Commit commit -> {
                inTransaction = false;
                lastDeliveredEnd = commit.endLsn();
            }
            case RowChange change -> {
                stats.rowChanges.incrementAndGet();
                RowChange processed = change;
                for (int i = 0; i < processors.size() && processed != null; i++) {
                    processed = processors.get(i).process(processed);
                }
                return processed;
            }
            case Message message
            when DdlMessages.isDdl(message) -> {
                return schemaChange(ddl.decode(message));
            }
            default -> {}
        }
        return event;
    }

    /** A schema change to apply, or null when it only touches tables this pipeline leaves out. */
    private SchemaChange schemaChange(SchemaChange change) {
        if (!DdlMessages.concerns(change.command(), tables)) {
            log.debug(
                    "Schema change {} at {} touches only tables not replicated; not applied",
                    change.command().tag(),
                    change.lsn());
            return null;
        }
        for (Processor processor : processors) {
            processor.schemaChanged(change.command());
        }
        return change;
    }

    private void durable(Lsn endLsn) {
        durable = endLsn;
    }

    /**
     * Records what the target holds as the position to confirm; the driver sends it to the server
     * every status interval and whenever the server asks, and {@link #close} sends the last one.
     */
    private void feedback(boolean idle) throws SQLException {
        Lsn target = durable;
        while (!undurable.isEmpty() && undurable.peekFirst().commitLsn().compareTo(target) < 0) {
            undurable.removeFirst();
        }
        Begin oldest = undurable.peekFirst();
        stats.oldestUndurableCommitMillis.set(oldest == null ? 0 : commitMillis(oldest.commitTime()));
        if (idle && !inTransaction && lastDeliveredEnd.compareTo(target) <= 0) {
            // Nothing received is waiting for the target: confirm up to the server's last keepalive.
            target = Lsn.max(target, new Lsn(stream.getLastReceiveLSN().asLong()));
        }
        if (!target.isAfter(confirmed)) {
            return;
        }
        LogSequenceNumber lsn = LogSequenceNumber.valueOf(target.value());
        stream.setFlushedLSN(lsn);
        stream.setAppliedLSN(lsn);
        confirmed = target;
    }

    private static long commitMillis(Instant time) {
        return time == null ? 0 : time.toEpochMilli();
    }

    private void open(Lsn resume) {
        Properties props = url.replicationProperties("sluice");
        try {
            conn = DriverManager.getConnection(url.jdbcUrl(), props);
        } catch (SQLException e) {
            throw PgErrors.connectFailure("source", url, e);
        }
        try {
            stream = conn.unwrap(PGConnection.class)
                    .getReplicationAPI()
                    .replicationStream()
                    .logical()
                    .withSlotName(slot)
                    .withStartPosition(LogSequenceNumber.valueOf(resume.value()))
                    .withSlotOption("proto_version", "1")
                    .withSlotOption("publication_names", publication)
                    .withSlotOption("messages", "true")
                    .withStatusInterval((int) statusInterval.toMillis(), TimeUnit.MILLISECONDS)
                    .start();
            confirmed = resume;
            streaming = true;
            log.info(
                    "Streaming from slot '{}' of {} starting after {}",
                    slot,
                    url,
                    resume.isValid() ? resume : "the slot's position");
        } catch (SQLException e) {
            closeQuietly();
            throw SlotErrors.explain(url, slot, e);
        }
    }

    private SluiceException streamFailure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("57P")) {
            return new SluiceException(
                    Reason.SOURCE_UNREACHABLE,
                    "Lost the replication connection to " + url + ": " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
        return new SluiceException(
                Reason.SOURCE_NOT_READY,
                "The source stopped the replication stream of slot '" + slot + "': "
                        + PgErrors.firstLine(e.getMessage()) + " (SQLSTATE " + state + ")",
                e);
    }

    @Override
    public void stop() {
        stopped = true;
    }

    /** Sends the final durable position to the slot, then closes the stream. */
    @Override
    public void close() {
        if (stream != null && !stream.isClosed()) {
            try {
                Lsn target = durable;
                if (target.isAfter(confirmed)) {
                    LogSequenceNumber lsn = LogSequenceNumber.valueOf(target.value());
                    stream.setFlushedLSN(lsn);
                    stream.setAppliedLSN(lsn);
                    confirmed = target;
                }
                stream.forceUpdateStatus();
            } catch (SQLException e) {
                log.warn("Could not send the final position to the source: {}", PgErrors.firstLine(e.getMessage()));
            }
        }
        closeQuietly();
    }

    /** Whether the replication stream was opened: the configuration and the servers were fine at least once. */
    public boolean hasStreamed() {
        return streaming;
    }

    /** The position last confirmed to the slot. */
    public Lsn confirmed() {
        return confirmed;
    }

    private void closeQuietly() {
        try {
            if (stream != null) {
                stream.close();
            }
        } catch (SQLException ignored) {
            // The connection is gone; the server drops the walsender by itself.
        }
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // Same.
        }
    }
}
