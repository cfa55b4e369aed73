package dev.sluice.pipeline.cli;

import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.metrics.MetricsServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(
        name = "run",
        description = "Stream changes from the source slot into the target until stopped (SIGTERM, Ctrl-C).")
final class RunCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(
            names = "--reset",
            description = "Before the snapshot, drop on the target the schemas that hold the replicated tables"
                    + " (with everything in them) and this pipeline's records, and copy again.")
    boolean reset;

    @Override
    public Integer call() {
        SluiceConfig loaded = ConfigOptions.load(spec, SluiceCli.env);
        PrintWriter out = spec.commandLine().getOut();
        try (StoreTarget store = StoreTarget.openIfConfigured(loaded, out)) {
            return run(store == null ? loaded : store.target(loaded), store, out);
        }
    }

    /** @param store the branch store replicated into, or null for a target URL (or Kafka) */
    // The metrics server is a resource the try only keeps open: nothing in it uses the variable.
    @SuppressWarnings("try")
    private int run(SluiceConfig config, StoreTarget store, PrintWriter out) {
        boolean publishing = config.kafka().isPresent() && config.hasSourceUrl();
        if (!publishing) {
            config.targetUrl();
        }
        if (config.kafka().isPresent() && !config.hasSourceUrl()) {
            config.kafkaGroup();
        }
        config.schemaOnlyTables();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        if (store != null) {
            store.bindMetrics(registry);
        }
        Pipeline pipeline = new Pipeline(config, registry, reset, SluiceCli.env);
        Shutdown shutdown = Shutdown.onSignal(pipeline::stop, config.shutdownTimeout());
        try (MetricsServer metrics = startMetrics(config, registry, () -> health(pipeline), out)) {
            pipeline.run();
            out.println(
                    config.hasSourceUrl()
                            ? "Stopped. The slot is confirmed up to " + pipeline.lastConfirmed() + "."
                            : "Stopped. The target holds what the group's committed offsets cover.");
            return 0;
        } finally {
            shutdown.exitingNormally();
            shutdown.finished();
        }
    }

    /** Serves {@code /metrics} and {@code /healthz} where the settings say, and says where; null when off. */
    static MetricsServer startMetrics(
            SluiceConfig config,
            PrometheusMeterRegistry registry,
            Supplier<MetricsServer.Health> health,
            PrintWriter out) {
        if (config.metricsPort() == 0) {
            return null;
        }
        MetricsServer metrics = MetricsServer.start(config.metricsAddress(), config.metricsPort(), registry, health);
        out.println("Metrics on http://" + config.metricsAddress() + ":" + metrics.port() + "/metrics");
        return metrics;
    }

    private static MetricsServer.Health health(Pipeline pipeline) {
        Pipeline.State state = pipeline.state();
        return new MetricsServer.Health(
                state == Pipeline.State.STREAMING || state == Pipeline.State.STARTING,
                state.name().toLowerCase());
    }
}
