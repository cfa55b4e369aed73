package dev.sluice.pipeline;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.spi.Processor;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.config.SluiceConfig.SnapshotMode;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SchemaCopier;
import dev.sluice.snapshot.SnapshotCopier;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a target Sluice has not set up to the source's state before streaming starts: the
 * publication, a new slot whose exported snapshot every copy reads, schema and rows as the snapshot
 * mode asks, and the target's position set to the slot's consistent point, so that streaming goes
 * on from there with no gap and no duplicate.
 */
final class TargetPreparation {

    private static final Logger log = LoggerFactory.getLogger(TargetPreparation.class);

    private final SluiceConfig config;
    private final String sourceIdentity;
    private final List<Processor> processors;

    TargetPreparation(SluiceConfig config, String sourceIdentity, List<Processor> processors) {
        this.config = config;
        this.sourceIdentity = sourceIdentity;
        this.processors = processors;
    }

    /** Copies what the mode asks when the target holds nothing of this pipeline yet; otherwise does nothing. */
    void prepareIfNew(SourceAdmin admin) {
        SnapshotMode mode = config.snapshotMode();
        if (mode == SnapshotMode.NONE
                || PostgresSink.applied(config.targetUrl(), config.slot()).isPresent()) {
            return;
        }
        if (mode.copiesSchema()) {
            List<String> existing = PostgresSink.userTables(config.targetUrl());
            if (!existing.isEmpty()) {
                throw new SluiceException(
                        Reason.TARGET_SCHEMA,
                        "The target " + config.targetUrl() + " already holds " + existing.size()
                                + " table(s) Sluice did not create ("
                                + String.join(", ", existing.subList(0, Math.min(5, existing.size())))
                                + (existing.size() > 5 ? ", ..." : "") + "). Point Sluice at an empty database for a"
                                + " full snapshot, or use --snapshot none if those tables already mirror the source"
                                + " (--snapshot data copies rows into them).");
            }
        }
        List<TableId> tables =
                admin.publish(config.tables(), config.publication()).tables();
        admin.dropSlot(config.slot());
        long started = System.nanoTime();
        try (ExportedSnapshot snapshot = ExportedSnapshot.createSlot(config.sourceUrl(), config.slot())) {
            log.info(
                    "Snapshot of {} table(s) ({} mode) as of {} on slot '{}'",
                    tables.size(),
                    mode.name().toLowerCase(),
                    snapshot.consistentPoint(),
                    config.slot());
            SchemaCopier schema = mode.copiesSchema()
                    ? SchemaCopier.create(
                            config.pgDump(), config.sourceUrl(), config.targetUrl(), admin.serverVersionNum() / 10000)
                    : null;
            if (schema != null) {
                schema.copy(SchemaCopier.Section.PRE_DATA, snapshot.name());
            }
            if (mode.copiesRows()) {
                List<SnapshotCopier.TableResult> results = new SnapshotCopier(new SnapshotCopier.Config(
                                config.sourceUrl(),
                                config.targetUrl(),
                                config.snapshotWorkers(),
                                SnapshotCopier.Config.DEFAULT_SPLIT_PAGES,
                                processors))
                        .copy(snapshot, tables);
                for (SnapshotCopier.TableResult r : results) {
                    log.info("Copied {}: {} rows, {} bytes in {} s", r.table(), r.rows(), r.bytes(), seconds(r.took()));
                }
            }
            if (schema != null) {
                schema.copy(SchemaCopier.Section.POST_DATA, snapshot.name());
            }
            PostgresSink.recordSnapshot(config.targetUrl(), config.slot(), sourceIdentity, snapshot.consistentPoint());
            log.info(
                    "Snapshot done in {} s; streaming continues from {}",
                    seconds(Duration.ofNanos(System.nanoTime() - started)),
                    snapshot.consistentPoint());
        }
    }

    private static String seconds(Duration d) {
        return String.format("%.1f", d.toMillis() / 1000.0);
    }
}
