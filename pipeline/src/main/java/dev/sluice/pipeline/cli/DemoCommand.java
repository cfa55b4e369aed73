package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.demo.Demo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "demo",
        description = "Run Sluice on embedded source and target databases with a live write load, until Ctrl-C.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--dir",
            defaultValue = ".sluice-demo",
            description = "Where the demo's servers keep their data (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Option(
            names = "--rate",
            defaultValue = "50",
            description = "Source transactions per second (default: ${DEFAULT-VALUE}).")
    int rate;

    @Option(
            names = "--metrics-port",
            defaultValue = "9480",
            description = "Port for /metrics; 0 for none (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--duration", description = "Stop by itself after this many seconds (default: run until Ctrl-C).")
    Integer durationSeconds;

    private static final Duration DEMO_STOP_TIMEOUT = Duration.ofSeconds(60);

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Demo demo = new Demo(dir, out);
        // The demo reads no configuration; its embedded servers each write a checkpoint as they stop.
        Shutdown shutdown = Shutdown.onSignal(demo::stop, DEMO_STOP_TIMEOUT);
        try {
            demo.start(metricsPort, rate);
            demo.report(Duration.ofSeconds(2), durationSeconds == null ? null : Duration.ofSeconds(durationSeconds));
            demo.stop();
            out.println("Demo stopped; the slot is confirmed up to "
                    + demo.pipeline().lastConfirmed() + ".");
            return 0;
        } finally {
            demo.close();
            shutdown.exitingNormally();
            shutdown.finished();
        }
    }
}
