package dev.sluice.sink.postgres;

import static dev.sluice.core.Preconditions.requireConfig;

import dev.sluice.core.Lsn;
import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the PostgreSQL sink writes.
 *
 * @param target the target database
 * @param pipeline names this stream in the target's progress table; one row per pipeline, so
 *     several sources can feed one target. Default: the slot name.
 * @param batchRows rows of one table and kind sent in one round trip (default {@value #DEFAULT_BATCH_ROWS})
 * @param groupMaxRows small source transactions are grouped into one target transaction until it
 *     holds this many rows (default {@value #DEFAULT_GROUP_MAX_ROWS})
 * @param groupMaxDelay ... or until its first transaction has waited this long (default 200 ms)
 * @param source identifies the source database (system identifier and database name); the target
 *     refuses a pipeline name it already holds for another source, since their positions would mix
 * @param copiedLater tables a resumed snapshot copied as of a later source position than where
 *     streaming starts: their changes from source transactions that committed before that position
 *     are already in the copy and are skipped (default: none)
 * @param ddlSkipThrough schema changes at or before this source position are not replayed: they
 *     were applied to the target by hand (default: none, {@link Lsn#INVALID})
 */
public record PostgresSinkConfig(
        PgUrl target,
        String pipeline,
        int batchRows,
        int groupMaxRows,
        Duration groupMaxDelay,
        String source,
        Map<TableId, Lsn> copiedLater,
        Lsn ddlSkipThrough) {

    public static final int DEFAULT_BATCH_ROWS = 10_000;
    public static final int DEFAULT_GROUP_MAX_ROWS = 50_000;
    public static final Duration DEFAULT_GROUP_MAX_DELAY = Duration.ofMillis(200);

    public PostgresSinkConfig {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(source, "source");
        copiedLater = Map.copyOf(copiedLater);
        Objects.requireNonNull(ddlSkipThrough, "ddlSkipThrough");
        requireConfig(pipeline != null && !pipeline.isBlank(), "sink pipeline name is empty");
        requireConfig(batchRows >= 1, "sink.batch_rows: %d is not allowed (expected 1 or more)", batchRows);
        requireConfig(groupMaxRows >= 1, "sink.group_max_rows: %d is not allowed (expected 1 or more)", groupMaxRows);
        requireConfig(
                !groupMaxDelay.isNegative(),
                "sink.group_max_delay: %s is not allowed (expected 0 or more)",
                groupMaxDelay);
    }

    public PostgresSinkConfig(
            PgUrl target, String pipeline, int batchRows, int groupMaxRows, Duration groupMaxDelay, String source) {
        this(target, pipeline, batchRows, groupMaxRows, groupMaxDelay, source, Map.of(), Lsn.INVALID);
    }

    public static PostgresSinkConfig defaults(PgUrl target, String pipeline, String source) {
        return new PostgresSinkConfig(
                target, pipeline, DEFAULT_BATCH_ROWS, DEFAULT_GROUP_MAX_ROWS, DEFAULT_GROUP_MAX_DELAY, source);
    }

    public PostgresSinkConfig withCopiedLater(Map<TableId, Lsn> tables) {
        return new PostgresSinkConfig(
                target, pipeline, batchRows, groupMaxRows, groupMaxDelay, source, tables, ddlSkipThrough);
    }

    public PostgresSinkConfig withDdlSkipThrough(Lsn position) {
        return new PostgresSinkConfig(
                target, pipeline, batchRows, groupMaxRows, groupMaxDelay, source, copiedLater, position);
    }
}
