package dev.sluice.pipeline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.pipeline.ByteSizes;
import dev.sluice.pipeline.UncoveredColumns;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.kafka.KafkaStatus;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.sink.postgres.PostgresSink;
import dev.sluice.snapshot.SnapshotLedger;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "status",
        description =
                "Show the slot (active?, confirmed LSN, retained WAL, lag) and, with a target, what it has applied"
                        + " and how far its snapshot is.")
final class StatusCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() throws JsonProcessingException {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> status = new LinkedHashMap<>();
        int code = 0;
        // A consumer of a Kafka topic has no source to show.
        if (config.hasSourceUrl() || config.kafka().isEmpty()) {
            code = source(config, status);
        }
        if (config.hasTargetUrl()) {
            target(config, status);
        }
        config.kafka().ifPresent(kafka -> status.putAll(KafkaStatus.read(kafka, kafkaGroupOrAll(config))));
        if (json) {
            out.println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(status));
        } else {
            printText(out, status);
        }
        return code;
    }

    private static String kafkaGroupOrAll(SluiceConfig config) {
        return config.hasSourceUrl() ? "" : config.kafkaGroup();
    }

    private static int source(SluiceConfig config, Map<String, Object> status) {
        int code = 0;
        status.put("source", config.sourceUrl().toString());
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            Optional<SourceAdmin.SlotStatus> slot = admin.slot(config.slot());
            status.put("slot", config.slot());
            status.put("slot_exists", slot.isPresent());
            if (slot.isPresent()) {
                SourceAdmin.SlotStatus s = slot.get();
                status.put("slot_active", s.active());
                status.put("slot_active_pid", s.activePid());
                status.put("confirmed_flush_lsn", s.confirmedFlush().toString());
                status.put("restart_lsn", s.restartLsn().toString());
                status.put("current_wal_lsn", s.currentWal().toString());
                status.put("retained_wal_bytes", s.retainedWalBytes());
                status.put("lag_bytes", s.lagBytes());
            } else {
                code = 1;
            }
            status.put("ddl_capture", admin.ddlCaptureInstalled());
            status.put("publication", config.publication());
            status.put(
                    "published_tables",
                    admin.publishedTables(config.publication()).size());
        }
        return code;
    }

    private static void target(SluiceConfig config, Map<String, Object> status) {
        status.put("target", config.targetUrl().toString());
        // A consumer of a Kafka topic keeps its position per partition; status shows its group's lag.
        String pipeline = config.kafka().isPresent() && !config.hasSourceUrl()
                ? config.kafka().get().topic() + "#0"
                : config.slot();
        Optional<PostgresSink.Applied> applied = PostgresSink.applied(config.targetUrl(), pipeline);
        status.put("target_applied_lsn", applied.map(a -> a.endLsn().toString()).orElse(null));
        status.put(
                "target_applied_at", applied.map(a -> a.appliedAt().toString()).orElse(null));
        status.put(
                "target_last_source_commit",
                applied.map(a -> a.sourceCommitTime() == null
                                ? null
                                : a.sourceCommitTime().toString())
                        .orElse(null));
        status.put(
                "snapshot",
                snapshot(SnapshotLedger.summary(config.targetUrl(), config.slot()), applied.isPresent(), (Integer)
                        status.getOrDefault("published_tables", 0)));
        status.put("columns_without_rule", UncoveredColumns.describe(config.targetUrl(), config.slot()));
    }

    /**
     * The target's snapshot as its ledger tells it: {@code none}, {@code in_progress} or {@code
     * done}. Streaming having begun means the snapshot is done even where the ledger says nothing
     * more. Without a recorded plan, the published tables stand in for the total.
     */
    static Map<String, Object> snapshot(
            Optional<SnapshotLedger.Summary> summary, boolean streaming, int publishedTables) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (summary.isEmpty()) {
            m.put("state", "none");
            m.put("streaming", streaming);
            return m;
        }
        SnapshotLedger.Summary s = summary.get();
        boolean done = s.finished() || streaming;
        m.put("state", done ? "done" : "in_progress");
        m.put("streaming", streaming);
        m.put("started_at", s.startedAt() == null ? null : s.startedAt().toString());
        m.put("position", s.position().isValid() ? s.position().toString() : null);
        m.put("pre_data_done", s.preDataDone());
        m.put("tables_copied", s.tablesCopied());
        m.put(
                "tables_total",
                s.tablesPlanned() >= 0
                        ? Integer.valueOf(s.tablesPlanned())
                        : publishedTables > 0 ? publishedTables : null);
        m.put("rows_copied", s.rowsCopied());
        m.put("bytes_copied", s.bytesCopied());
        m.put("bytes_estimated", s.bytesPlanned() >= 0 ? s.bytesPlanned() : null);
        m.put("post_data_done", s.postDataDone());
        m.put("post_data_total", s.postDataPlanned() >= 0 ? s.postDataPlanned() : null);
        m.put("last_step_at", s.lastStepAt() == null ? null : s.lastStepAt().toString());
        Instant doneAt = s.finished() ? s.finishedAt() : done ? s.lastStepAt() : null;
        m.put("done_at", doneAt == null ? null : doneAt.toString());
        return m;
    }

    /** The snapshot line of the text output. */
    @SuppressWarnings("unchecked")
    static String snapshotText(Map<String, Object> status) {
        Map<String, Object> m = (Map<String, Object>) status.get("snapshot");
        boolean streaming = (Boolean) m.get("streaming");
        switch ((String) m.get("state")) {
            case "none" -> {
                return streaming ? "none on record; the target streams" : "none yet";
            }
            case "done" -> {
                return "done at " + m.get("done_at") + " (" + m.get("tables_copied") + " tables, "
                        + ByteSizes.format((Long) m.get("bytes_copied")) + ")"
                        + (streaming ? ", streaming" : "");
            }
            default -> {
                int copied = (Integer) m.get("tables_copied");
                Integer total = (Integer) m.get("tables_total");
                long bytes = (Long) m.get("bytes_copied");
                Long estimated = (Long) m.get("bytes_estimated");
                Object postTotal = m.get("post_data_total");
                Object last = m.get("last_step_at");
                // Estimates from statistics can fall short of what arrived: then only the count shows.
                return "in progress: " + copied + (total == null || total < copied ? "" : " of " + total)
                        + " tables copied (" + ByteSizes.format(bytes)
                        + (estimated == null || estimated < bytes ? "" : " of ~" + ByteSizes.format(estimated))
                        + "), schema pre-data " + ((Boolean) m.get("pre_data_done") ? "done" : "not done")
                        + ", post-data " + m.get("post_data_done") + (postTotal == null ? "" : " of " + postTotal)
                        + " objects"
                        + (last == null ? "" : "; last step " + age(Instant.parse(last.toString())) + " ago");
            }
        }
    }

    private static void printText(PrintWriter out, Map<String, Object> s) {
        if (s.containsKey("source")) {
            printSource(out, s);
        }
        if (s.containsKey("target")) {
            printTarget(out, s);
        }
        if (s.containsKey("kafka_topic")) {
            printKafka(out, s);
        }
    }

    @SuppressWarnings("unchecked")
    private static void printKafka(PrintWriter out, Map<String, Object> s) {
        if (!(Boolean) s.get("kafka_topic_exists")) {
            out.println("kafka:        topic " + s.get("kafka_topic") + " does not exist on " + s.get("kafka_brokers"));
            return;
        }
        Object published = s.get("kafka_published_lsn");
        out.println("kafka:        topic " + s.get("kafka_topic") + ", " + s.get("kafka_partitions") + " partition(s)"
                + (published == null
                        ? ", nothing published yet"
                        : ", published up to " + published + " (by " + s.get("kafka_partitioning") + ")"));
        Map<String, Map<String, Object>> groups = (Map<String, Map<String, Object>>) s.get("kafka_groups");
        if (groups.isEmpty()) {
            out.println("groups:       none");
        }
        groups.forEach((name, g) -> out.println("group:        " + name + ", lag " + g.get("lag_records") + " record(s)"
                + (g.get("lag_bytes") == null
                        ? ""
                        : ", " + ByteSizes.format((Long) g.get("lag_bytes")) + " of source WAL")
                + ((Boolean) g.get("has_offsets") ? "" : " (no committed offsets yet)")));
    }

    private static void printSource(PrintWriter out, Map<String, Object> s) {
        out.println("source:       " + s.get("source"));
        if (!(Boolean) s.get("slot_exists")) {
            out.println("slot:         " + s.get("slot") + " does not exist (run `sluice init`)");
        } else {
            out.println("slot:         " + s.get("slot") + ", "
                    + ((Boolean) s.get("slot_active") ? "active (pid " + s.get("slot_active_pid") + ")" : "inactive"));
            out.println("confirmed:    " + s.get("confirmed_flush_lsn") + " (source is at " + s.get("current_wal_lsn")
                    + ", lag " + ByteSizes.format((Long) s.get("lag_bytes")) + ")");
            out.println("retained WAL: " + ByteSizes.format((Long) s.get("retained_wal_bytes")));
        }
        out.println("publication:  " + s.get("publication") + ", " + s.get("published_tables") + " table(s)");
        if (s.containsKey("ddl_capture")) {
            out.println("ddl capture:  "
                    + ((Boolean) s.get("ddl_capture")
                            ? "installed (schema changes replicate)"
                            : "not installed (schema changes do not replicate; run sluice init)"));
        }
    }

    private static void printTarget(PrintWriter out, Map<String, Object> s) {
        out.println("target:       " + s.get("target"));
        Object applied = s.get("target_applied_lsn");
        if (applied == null) {
            out.println("applied:      nothing yet");
        } else {
            Object commit = s.get("target_last_source_commit");
            out.println("applied:      up to " + applied
                    + (commit == null
                            ? ""
                            : ", source commit of " + commit + " (" + age(Instant.parse(commit.toString())) + " ago)"));
        }
        out.println("snapshot:     " + snapshotText(s));
        @SuppressWarnings("unchecked")
        Map<String, String> uncovered = (Map<String, String>) s.get("columns_without_rule");
        if (!uncovered.isEmpty()) {
            out.println("without rule: " + uncovered.size() + " column(s) written without their values under"
                    + " validation_mode strict, until a rule covers them:");
            uncovered.forEach((column, since) -> out.println("              " + column + " (since " + since + ")"));
        }
    }

    private static String age(Instant then) {
        Duration d = Duration.between(then, Instant.now());
        return d.toSeconds() < 120 ? d.toSeconds() + " s" : d.toMinutes() + " min";
    }
}
