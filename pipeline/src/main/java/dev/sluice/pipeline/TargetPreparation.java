package dev.sluice.pipeline;

import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.spi.Processor;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.config.SluiceConfig.SnapshotMode;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.pipeline.source.postgres.SourceTable;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SchemaCopier;
import dev.sluice.snapshot.SnapshotCopier;
import dev.sluice.snapshot.SnapshotLedger;
import dev.sluice.snapshot.progress.ProgressDisplay;
import dev.sluice.snapshot.progress.SnapshotProgress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Brings a target to the source's state before streaming starts (for {@code run}), or once (for
 * {@code snapshot}): schema and rows as the snapshot mode asks, all read under one exported
 * snapshot, each finished step recorded in the target's {@link SnapshotLedger}.
 *
 * <p>For {@code run} the snapshot comes with the pipeline's slot, and the target's position is set
 * to the slot's consistent point at the end, so streaming goes on from there with no gap and no
 * duplicate. An interrupted snapshot resumes: finished tables stay; the others are emptied and
 * copied again under a new snapshot, taken through a temporary slot whose consistent point is
 * recorded with each such table, so that streaming skips those tables' changes up to that point.
 */
final class TargetPreparation {

    private static final Logger log = LoggerFactory.getLogger(TargetPreparation.class);

    private final SluiceConfig config;
    private final String sourceIdentity;
    private final List<Processor> processors;
    private final boolean reset;
    private final SnapshotProgress progress;
    private final TargetTables targetTables;

    /**
     * @param reset drop what Sluice manages on the target (the schemas of the replicated tables and
     *     this pipeline's records) and copy again, instead of refusing a target that holds tables
     */
    TargetPreparation(
            SluiceConfig config,
            String sourceIdentity,
            List<Processor> processors,
            boolean reset,
            SnapshotProgress progress) {
        this.config = config;
        this.progress = progress;
        this.sourceIdentity = sourceIdentity;
        this.processors = processors;
        this.reset = reset;
        this.targetTables = new TargetTables(config.targetUrl(), config.slot());
    }

    /**
     * For {@code run}: copies what the mode asks when the target holds nothing of this pipeline yet,
     * resumes a copy that was interrupted, and otherwise does nothing.
     */
    void prepareIfNew(SourceAdmin admin) {
        SnapshotMode mode = config.snapshotMode();
        if (reset && !mode.copiesSchema()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "--reset drops the replicated tables' schemas on the target, and snapshot.mode "
                            + mode.name().toLowerCase() + " would not create them again: use --snapshot full (the"
                            + " default) or schema with --reset.");
        }
        if (mode == SnapshotMode.NONE) {
            return;
        }
        if (reset) {
            targetTables.reset(select(admin).schemas());
        }
        if (PostgresSink.applied(config.targetUrl(), config.slot()).isPresent()) {
            return;
        }
        Selection selection = select(admin);
        SnapshotLedger ledger = SnapshotLedger.open(config.targetUrl(), config.slot());
        Optional<Lsn> started = ledger.started();
        if (started.isEmpty()) {
            requireEmptyTarget(selection, mode);
            admin.publish(config.tables(), config.publication(), config.ddlCapture());
            List<TableId> tables = selection.tables();
            admin.dropSlot(config.slot());
            Lsn slotStart;
            try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(config.sourceUrl(), config.slot())) {
                slotStart = snapshot.consistentPoint();
                ledger.start(slotStart);
                log.info(
                        "Snapshot of {} table(s) ({} mode) as of {} on slot '{}'",
                        tables.size(),
                        mode.name().toLowerCase(),
                        snapshot.consistentPoint(),
                        config.slot());
                copy(admin, selection, ledger, snapshot, tables, mode);
            }
            finish(slotStart);
            return;
        }
        if (!started.get().isValid()) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "The target " + config.targetUrl() + " holds a copy made by `sluice snapshot` (pipeline '"
                            + config.slot() + "'), which no slot can bring up to date. Start over with --reset,"
                            + " or stream into it as it is with --snapshot none.");
        }
        if (admin.slot(config.slot()).isEmpty()) {
            throw new SluiceException(
                    Reason.SOURCE_NOT_READY,
                    "The snapshot into " + config.targetUrl() + " was interrupted, and slot '" + config.slot()
                            + "' it started from is gone from the source, so the tables already copied cannot be"
                            + " brought up to date. Start over with --reset (drops what Sluice copied to the"
                            + " target).");
        }
        admin.publish(config.tables(), config.publication(), config.ddlCapture());
        List<TableId> remaining = remaining(selection, ledger, mode);
        log.info(
                "Resuming the interrupted snapshot into {}: {} table(s) already copied as of {}, {} to copy",
                config.targetUrl(),
                ledger.copiedTables().size(),
                started.get(),
                remaining.size());
        try (ExportedSnapshot snapshot =
                ExportedSnapshot.temporarySlot(config.sourceUrl(), temporarySlotName(config.slot()))) {
            empty(remaining, ledger, mode);
            copy(admin, selection, ledger, snapshot, remaining, mode);
        }
        finish(started.get());
    }

    /**
     * For {@code snapshot}: copies schema and rows once, under a snapshot with no slot; resumes a
     * copy of this kind that was interrupted.
     */
    void copyOnce(SourceAdmin admin) {
        SnapshotMode mode = config.snapshotMode() == SnapshotMode.NONE ? SnapshotMode.FULL : config.snapshotMode();
        Selection selection = select(admin);
        if (reset) {
            targetTables.reset(selection.schemas());
        }
        if (PostgresSink.applied(config.targetUrl(), config.slot()).isPresent()) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "The target " + config.targetUrl() + " is kept in step by pipeline '" + config.slot()
                            + "' (sluice run); a one-off copy over it would break that. Point at another"
                            + " database, or start over with --reset.");
        }
        SnapshotLedger ledger = SnapshotLedger.open(config.targetUrl(), config.slot());
        Optional<Lsn> started = ledger.started();
        if (started.isPresent() && started.get().isValid()) {
            throw new SluiceException(
                    Reason.TARGET_SCHEMA,
                    "The target " + config.targetUrl() + " holds an interrupted snapshot of `sluice run` (pipeline '"
                            + config.slot() + "'). Run `sluice run` to finish it, or start over with --reset.");
        }
        List<TableId> tables;
        if (started.isEmpty()) {
            requireEmptyTarget(selection, mode);
            tables = selection.tables();
            ledger.start(Lsn.INVALID);
        } else {
            tables = remaining(selection, ledger, mode);
            if (tables.isEmpty() && ledger.preDataDone()) {
                log.info("The target already holds the copy; nothing to do (--reset copies again)");
            } else {
                log.info("Resuming the interrupted copy: {} table(s) left", tables.size());
            }
            empty(tables, ledger, mode);
        }
        try (ExportedSnapshot snapshot = ExportedSnapshot.withoutSlot(config.sourceUrl())) {
            copy(admin, selection, ledger, snapshot, tables, mode);
        }
    }

    private void copy(
            SourceAdmin admin,
            Selection selection,
            SnapshotLedger ledger,
            ExportedSnapshot snapshot,
            List<TableId> tables,
            SnapshotMode mode) {
        try (ProgressDisplay display =
                ProgressDisplay.start(progress, config.snapshotProgress(), config.snapshotWorkers())) {
            copy(admin, selection, ledger, snapshot, tables, mode, display);
        }
    }

    private void copy(
            SourceAdmin admin,
            Selection selection,
            SnapshotLedger ledger,
            ExportedSnapshot snapshot,
            List<TableId> tables,
            SnapshotMode mode,
            ProgressDisplay display) {
        if (mode.copiesRows() && !selection.unlogged().isEmpty()) {
            log.warn(
                    "{} unlogged table(s) are copied once but never streamed, since their changes never reach the"
                            + " WAL: {}",
                    selection.unlogged().size(),
                    selection.unlogged().stream().map(TableId::toString).collect(Collectors.joining(", ")));
        }
        Map<TableId, SnapshotLedger.Step> copiedBefore = ledger.copiedTables();
        copiedBefore.forEach((table, step) -> progress.alreadyCopied(table, step.rows(), step.bytes()));
        progress.phase(SnapshotProgress.Phase.PRE_DATA);
        long started = System.nanoTime();
        Lsn position = snapshot.consistentPoint();
        SchemaCopier schema = mode.copiesSchema()
                ? SchemaCopier.create(
                                config.pgDump(),
                                config.sourceUrl(),
                                config.targetUrl(),
                                admin.serverVersionNum() / 10000)
                        .forTables(config.tables()::includes, selection.schemaOnly(config.schemaOnlyTables()))
                : null;
        Set<String> filled = selection.schemas();
        List<TableId> withRows = mode.copiesRows()
                ? tables.stream()
                        .filter(t -> !config.schemaOnlyTables().test(t))
                        .toList()
                : List.of();
        // Copies and the index builds started during them share the workers' slots.
        Semaphore slots = new Semaphore(config.snapshotWorkers(), true);
        try (SchemaCopier.PostData postData = schema == null
                ? null
                : schema.startPostData(
                        snapshot.name(), config.snapshotWorkers(), ledger, postDataProgress(ledger), slots)) {
            if (schema != null && !ledger.preDataDone()) {
                schema.copyPreData(snapshot.name(), conn -> {
                    ledger.recordPreData(conn, position);
                    TargetTables.pauseAutovacuum(conn, filled);
                });
            }
            if (!withRows.isEmpty()) {
                copyRows(snapshot, withRows, ledger, position, copiedBefore.size(), postData, display, slots);
            }
            if (postData != null) {
                SchemaCopier.PostDataResult post = postData.finish();
                targetTables.resumeAutovacuum(filled, admin.tablesWithOwnAutovacuumSetting());
                log.info(
                        "Indexes, constraints and other post-data objects: {} created{}{}",
                        post.created(),
                        post.alreadyDone() > 0 ? ", " + post.alreadyDone() + " already there" : "",
                        post.skipped().isEmpty() ? "" : ", " + post.skipped().size() + " skipped");
            }
        }
        SequenceFollower.afterSnapshot(config);
        ledger.finish();
        progress.phase(SnapshotProgress.Phase.DONE);
        log.info("Snapshot copied in {} s", seconds(Duration.ofNanos(System.nanoTime() - started)));
    }

    /**
     * Copies the rows, recording each finished table in the ledger in the transaction of its last
     * part, and starting its indexes and constraints once it is committed.
     */
    private void copyRows(
            ExportedSnapshot snapshot,
            List<TableId> tables,
            SnapshotLedger ledger,
            Lsn position,
            int copiedBefore,
            SchemaCopier.PostData postData,
            ProgressDisplay display,
            Semaphore slots) {
        SnapshotCopier.Listener recorder = new SnapshotCopier.Listener() {
            @Override
            public void planned(List<SnapshotCopier.TableEstimate> estimates) {
                progress.planned(estimates);
                ledger.recordPlan(
                        copiedBefore + estimates.size(),
                        estimates.stream()
                                .mapToLong(SnapshotCopier.TableEstimate::bytes)
                                .sum());
            }

            @Override
            public void copied(TableId table, long rows, long bytes) {
                progress.copied(table, rows, bytes);
            }

            @Override
            public void finished(Connection target, SnapshotCopier.TableResult r) throws SQLException {
                ledger.recordTable(target, r.table(), position, r.rows(), r.bytes());
                progress.finished(target, r);
                log.atLevel(display.live() ? Level.DEBUG : Level.INFO)
                        .log(
                                "Copied {}: {} rows, {} in {} s{}",
                                r.table(),
                                r.rows(),
                                ByteSizes.format(r.bytes()),
                                seconds(r.took()),
                                r.binary() ? " (binary COPY)" : "");
            }

            @Override
            public void committed(SnapshotCopier.TableResult r) {
                if (postData != null) {
                    postData.tableCopied(r.table());
                }
            }
        };
        new SnapshotCopier(
                        new SnapshotCopier.Config(
                                config.sourceUrl(),
                                config.targetUrl(),
                                config.snapshotWorkers(),
                                SnapshotCopier.Config.DEFAULT_SPLIT_PAGES,
                                processors,
                                slots),
                        recorder)
                .copy(snapshot, tables);
    }

    /** Post-data objects as the progress display and the ledger's plan count them. */
    private SchemaCopier.PostDataListener postDataProgress(SnapshotLedger ledger) {
        return new SchemaCopier.PostDataListener() {
            @Override
            public void planned(int objects) {
                progress.postDataPlanned(objects);
                ledger.recordPostDataPlan(objects);
            }

            @Override
            public void started(String object) {
                progress.postDataStarted(object);
            }

            @Override
            public void created(String object) {
                progress.postDataDone(object);
            }
        };
    }

    /** Sets the target's position to where the pipeline's slot starts, which ends the snapshot. */
    private void finish(Lsn slotStart) {
        PostgresSink.recordSnapshot(config.targetUrl(), config.slot(), sourceIdentity, slotStart);
        log.info("Snapshot done; streaming continues from {}", slotStart);
    }

    /**
     * The source tables the snapshot copies, read once: the logged ones (those {@code run}
     * publishes) and the unlogged ones, whose rows can be copied but never streamed.
     */
    private record Selection(List<TableId> logged, List<TableId> unlogged) {

        List<TableId> tables() {
            List<TableId> all = new ArrayList<>(logged);
            all.addAll(unlogged);
            return all;
        }

        /** The schemas the copy fills. */
        Set<String> schemas() {
            Set<String> schemas = new LinkedHashSet<>();
            tables().forEach(t -> schemas.add(t.schema()));
            return schemas;
        }

        Set<TableId> schemaOnly(Predicate<TableId> schemaOnly) {
            return tables().stream().filter(schemaOnly).collect(Collectors.toSet());
        }
    }

    private Selection select(SourceAdmin admin) {
        List<TableId> logged =
                admin.tables(config.tables()).stream().map(SourceTable::id).toList();
        return new Selection(logged, admin.unloggedTables(config.tables()));
    }

    /** The tables a resumed copy still has to copy. */
    private List<TableId> remaining(Selection selection, SnapshotLedger ledger, SnapshotMode mode) {
        if (!mode.copiesRows()) {
            return List.of();
        }
        Map<TableId, SnapshotLedger.Step> copied = ledger.copiedTables();
        return selection.tables().stream()
                .filter(t -> !copied.containsKey(t))
                .filter(t -> !config.schemaOnlyTables().test(t))
                .toList();
    }

    /** Removes what an interrupted copy left of the tables it had not finished. */
    private void empty(List<TableId> tables, SnapshotLedger ledger, SnapshotMode mode) {
        boolean tablesExist = ledger.preDataDone() || !mode.copiesSchema();
        if (tablesExist) {
            targetTables.empty(tables);
        }
    }

    private void requireEmptyTarget(Selection selection, SnapshotMode mode) {
        if (mode.copiesSchema()) {
            targetTables.requireNoneIn(selection.schemas());
        }
    }

    /** A temporary slot's name beside the pipeline's, within PostgreSQL's 63 characters. */
    static String temporarySlotName(String slot) {
        String base = slot.length() > 50 ? slot.substring(0, 50) : slot;
        return base + "_resume";
    }

    private static String seconds(Duration d) {
        return String.format("%.1f", d.toMillis() / 1000.0);
    }
}
