package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "init",
        description = "Create the publication over the selected tables and the logical slot (pgoutput).")
final class InitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            out.println("Creating replication slot '" + config.slot()
                    + "' (waits for transactions open on the source to finish)...");
            SourceAdmin.InitResult result =
                    admin.init(config.tables(), config.publication(), config.slot(), config.ddlCapture());
            out.println((result.publicationCreated() ? "Created" : "Updated") + " publication '" + config.publication()
                    + "' over " + result.tables().size() + " table(s) matching " + config.tables() + ": "
                    + result.tables().stream().map(Object::toString).collect(Collectors.joining(", ")));
            if (config.ddlCapture()) {
                out.println("Installed DDL capture: event triggers on the source write schema changes into the"
                        + " stream (schema sluice); new tables matching " + config.tables() + " join the publication.");
            }
            out.println((result.slotCreated() ? "Created" : "Kept existing") + " replication slot '" + config.slot()
                    + "' (pgoutput).");
            out.println("Next: sluice run --source-url ... --target-url ...");
        }
        return 0;
    }
}
