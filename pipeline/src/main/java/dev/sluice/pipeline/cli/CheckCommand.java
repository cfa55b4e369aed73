package dev.sluice.pipeline.cli;

import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.ByteSizes;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import dev.sluice.pipeline.source.postgres.SourceTable;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "check",
        description =
                "Preflight the source: version, wal_level, privileges, free slots, tables without replica identity.")
final class CheckCommand implements Callable<Integer> {

    private static final int MIN_VERSION_NUM = 140000;

    @Spec
    CommandSpec spec;

    private PrintWriter out;
    private int failures;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        out = spec.commandLine().getOut();
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            out.println("Checking source " + config.sourceUrl());
            int version = admin.serverVersionNum();
            report(
                    version >= MIN_VERSION_NUM,
                    "PostgreSQL " + admin.setting("server_version"),
                    "Sluice supports PostgreSQL 14 and newer as a source.");
            String walLevel = admin.setting("wal_level");
            report(
                    walLevel.equals("logical"),
                    "wal_level = " + walLevel,
                    "Set wal_level = logical and restart (RDS/Aurora: rds.logical_replication = 1; Cloud SQL:"
                            + " cloudsql.logical_decoding = on).");
            report(
                    admin.canReplicate(),
                    "user '" + config.sourceUrl().user() + "' may use replication",
                    "ALTER ROLE "
                            + TableId.quoteIdent(
                                    String.valueOf(config.sourceUrl().user()))
                            + " REPLICATION; (RDS/Aurora: GRANT rds_replication TO ...).");
            int maxSlots = Integer.parseInt(admin.setting("max_replication_slots"));
            int usedSlots = admin.queryInt("SELECT count(*) FROM pg_replication_slots");
            boolean slotExists = admin.slot(config.slot()).isPresent();
            report(
                    slotExists || usedSlots < maxSlots,
                    "replication slots: " + usedSlots + " of " + maxSlots + " used",
                    "Drop an unused slot or raise max_replication_slots.");
            String encoding = admin.setting("server_encoding");
            report(encoding.equals("UTF8"), "server_encoding = " + encoding, "Sluice reads sources encoded in UTF8.");
            List<SourceTable> tables = admin.tables(config.tables());
            List<TableId> unreadable =
                    admin.unreadable(tables.stream().map(SourceTable::id).toList());
            report(
                    unreadable.isEmpty(),
                    tables.size() + " table(s) selected by " + config.tables()
                            + (unreadable.isEmpty() ? ", all readable" : ", not readable: " + names(unreadable)),
                    "GRANT SELECT ON each table TO the Sluice user.");
            String missing = SourceAdmin.describeMissingIdentity(tables);
            report(missing.isEmpty(), "every selected table has a primary key or replica identity", missing);
            if (slotExists) {
                SourceAdmin.SlotStatus s = admin.slot(config.slot()).orElseThrow();
                info("slot '" + config.slot() + "' exists, " + (s.active() ? "active" : "inactive") + ", retains "
                        + ByteSizes.format(s.retainedWalBytes()) + " of WAL");
            } else {
                info("slot '" + config.slot() + "' does not exist yet (`sluice init` creates it)");
            }
        }
        if (config.hasTargetUrl()) {
            try {
                PostgresTargetCheck.run(config, out);
                report(true, "target " + config.targetUrl() + " reachable", "");
            } catch (SluiceException e) {
                report(false, "target " + config.targetUrl(), e.getMessage());
            }
        }
        out.println(failures == 0 ? "All checks passed." : failures + " check(s) failed.");
        return failures == 0 ? 0 : 1;
    }

    private static String names(List<TableId> tables) {
        return tables.stream().map(TableId::toString).collect(Collectors.joining(", "));
    }

    private void report(boolean ok, String what, String fix) {
        if (ok) {
            out.println("  ok    " + what);
        } else {
            failures++;
            out.println("  FAIL  " + what);
            out.println("        " + fix);
        }
    }

    private void info(String what) {
        out.println("  info  " + what);
    }
}
