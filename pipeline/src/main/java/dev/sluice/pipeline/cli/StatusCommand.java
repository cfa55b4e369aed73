package dev.sluice.pipeline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.pipeline.ByteSizes;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.sink.postgres.PostgresSink;
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
                "Show the slot (active?, confirmed LSN, retained WAL, lag) and, with a target, what it has applied.")
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
        status.put("source", config.sourceUrl().toString());
        int code = 0;
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
            status.put("publication", config.publication());
            status.put(
                    "published_tables",
                    admin.publishedTables(config.publication()).size());
        }
        if (config.hasTargetUrl()) {
            status.put("target", config.targetUrl().toString());
            Optional<PostgresSink.Applied> applied = PostgresSink.applied(config.targetUrl(), config.slot());
            status.put(
                    "target_applied_lsn",
                    applied.map(a -> a.endLsn().toString()).orElse(null));
            status.put(
                    "target_applied_at",
                    applied.map(a -> a.appliedAt().toString()).orElse(null));
            status.put(
                    "target_last_source_commit",
                    applied.map(a -> a.sourceCommitTime() == null
                                    ? null
                                    : a.sourceCommitTime().toString())
                            .orElse(null));
        }
        if (json) {
            out.println(new ObjectMapper()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(status));
        } else {
            printText(out, status);
        }
        return code;
    }

    private static void printText(PrintWriter out, Map<String, Object> s) {
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
        if (s.containsKey("target")) {
            out.println("target:       " + s.get("target"));
            Object applied = s.get("target_applied_lsn");
            if (applied == null) {
                out.println("applied:      nothing yet");
            } else {
                Object commit = s.get("target_last_source_commit");
                out.println("applied:      up to " + applied
                        + (commit == null
                                ? ""
                                : ", source commit of " + commit + " (" + age(Instant.parse(commit.toString()))
                                        + " ago)"));
            }
        }
    }

    private static String age(Instant then) {
        Duration d = Duration.between(then, Instant.now());
        return d.toSeconds() < 120 ? d.toSeconds() + " s" : d.toMinutes() + " min";
    }
}
