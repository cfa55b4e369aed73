package dev.sluice.pipeline.cli;

import dev.sluice.branching.BranchStore;
import dev.sluice.branching.Branches;
import dev.sluice.branching.StoreOptions;
import dev.sluice.pipeline.api.ApiServer;
import dev.sluice.pipeline.api.ListenAddress;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.metrics.MetricsServer;
import dev.sluice.pipeline.metrics.StoreMeters;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(
        name = "serve",
        description = "Open the branch store (--store PATH) and serve the branch REST API (--api-listen, token from"
                + " SLUICE_API_TOKEN) and the store's /metrics and /healthz (--metrics-port) until stopped (SIGTERM,"
                + " Ctrl-C).")
final class ServeCommand implements Callable<Integer> {

    /** How {@code serve} opens a store. */
    @FunctionalInterface
    interface StoreOpener {
        /** The store at {@code root}; when it is also {@link AutoCloseable}, serve closes it on the way out. */
        Branches open(Path root);
    }

    /** The real store; tests put an in-memory one here. */
    static StoreOpener opener = ServeCommand::openBranchStore;

    @Spec
    CommandSpec spec;

    // The metrics server is a resource the try only keeps open: nothing in it uses the variable.
    @SuppressWarnings("try")
    @Override
    public Integer call() throws Exception {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        // Every setting is checked before the store is opened: a missing token must not cost a store start.
        Path root = config.storePath();
        ListenAddress listen = ListenAddress.parse("api.listen", config.apiListen());
        String token = config.apiToken();
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch stop = new CountDownLatch(1);
        Shutdown shutdown = Shutdown.onSignal(stop::countDown, config.shutdownTimeout());
        Branches store = opener.open(root);
        boolean interrupted = false;
        try (ApiServer api = ApiServer.start(listen, token, store);
                MetricsServer metrics = startMetrics(config, store, out)) {
            out.println("Branch API on http://" + new ListenAddress(listen.host(), api.port()) + " (store " + root
                    + "); stop with Ctrl-C or SIGTERM.");
            if (!loopback(listen.host())) {
                spec.commandLine()
                        .getErr()
                        .println("warning: the branch API on " + listen + " speaks plain HTTP beyond this machine;"
                                + " put a TLS proxy in front of it so the token and connection strings are not sent"
                                + " in clear.");
            }
            out.flush();
            stop.await();
        } catch (InterruptedException e) {
            // Interrupting the serving thread asks it to stop, as a signal does; the flag is restored
            // only after the store has closed, since closing waits for its servers.
            interrupted = true;
        } finally {
            try {
                if (store instanceof AutoCloseable closeable) {
                    closeable.close();
                }
            } finally {
                shutdown.exitingNormally();
                shutdown.finished();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** The store's meters, and a health check that fails while main is down; null when metrics are off. */
    private static MetricsServer startMetrics(SluiceConfig config, Branches store, PrintWriter out) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        StoreMeters.bind(registry, store);
        return RunCommand.startMetrics(config, registry, () -> StoreMeters.health(store), out);
    }

    private static boolean loopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static Branches openBranchStore(Path root) {
        return BranchStore.open(root, StoreOptions.defaults());
    }
}
