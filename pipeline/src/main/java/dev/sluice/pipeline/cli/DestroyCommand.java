package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.source.postgres.SourceAdmin;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "destroy",
        description = "Drop the slot and the publication from the source; refuses while the slot is read.")
final class DestroyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        try (SourceAdmin admin = SourceAdmin.connect(config.sourceUrl())) {
            List<String> dropped = admin.destroy(config.publication(), config.slot());
            out.println(
                    dropped.isEmpty()
                            ? "Nothing to drop: no slot '" + config.slot() + "' or publication '" + config.publication()
                                    + "' on the source."
                            : "Dropped " + String.join(" and ", dropped) + ".");
        }
        return 0;
    }
}
