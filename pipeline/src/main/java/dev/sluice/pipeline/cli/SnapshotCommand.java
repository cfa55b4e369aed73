package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.config.SluiceConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "snapshot",
        description = "Copy the source's schema and rows to the target once, under one consistent snapshot, with no"
                + " slot and no streaming after it. Run it again to resume an interrupted copy.")
final class SnapshotCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--reset",
            description = "First drop on the target the schemas that hold the copied tables (with everything in"
                    + " them) and the record of an earlier copy, and copy again.")
    boolean reset;

    @Override
    public Integer call() {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        config.targetUrl();
        config.schemaOnlyTables();
        new Pipeline(config, new SimpleMeterRegistry(), reset, SluiceCli.env).copyOnce();
        spec.commandLine().getOut().println("Copied. " + config.targetUrl() + " holds the source as of the snapshot.");
        return 0;
    }
}
