package dev.sluice.pipeline.cli;

import dev.sluice.branching.BranchStore;
import dev.sluice.branching.StoreOptions;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.pipeline.api.ApiServer;
import dev.sluice.pipeline.api.ListenAddress;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.pipeline.metrics.StoreMeters;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;

/**
 * The branch store as {@code run}'s target ({@code --store PATH} instead of {@code --target-url}):
 * the pipeline replicates into the store's main, and the branch API is served beside it when a
 * token is set. Closing stops the API, then the store's servers.
 */
final class StoreTarget implements AutoCloseable {

    private final BranchStore store;
    private final ApiServer api;

    private StoreTarget(BranchStore store, ApiServer api) {
        this.store = store;
        this.api = api;
    }

    /**
     * Opens the configured store, or returns null when {@code run} has a target URL instead.
     *
     * @throws SluiceException when both a store and a target URL are given
     */
    static StoreTarget openIfConfigured(SluiceConfig config, PrintWriter out) {
        if (!config.hasStorePath()) {
            return null;
        }
        if (config.hasTargetUrl()) {
            throw new SluiceException(
                    Reason.CONFIG,
                    "Both store.path (" + config.storePath() + ") and target.url (" + config.targetUrl() + ") are set;"
                            + " run replicates into one of them: the store's main, or the target database.");
        }
        ListenAddress listen = config.hasApiToken() ? ListenAddress.parse("api.listen", config.apiListen()) : null;
        BranchStore store = BranchStore.open(config.storePath(), StoreOptions.defaults());
        try {
            out.println("Replicating into the branch store " + config.storePath() + " (" + store.filesystemDescription()
                    + ").");
            ApiServer api = null;
            if (listen != null) {
                api = ApiServer.start(listen, config.apiToken(), store);
                out.println("Branch API on http://" + new ListenAddress(listen.host(), api.port()) + ".");
            } else {
                out.println("Branch API off: set SLUICE_API_TOKEN to serve it with this run (or run sluice serve).");
            }
            return new StoreTarget(store, api);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    /** Registers the store's meters ({@link StoreMeters}). */
    void bindMetrics(MeterRegistry registry) {
        StoreMeters.bind(registry, store);
    }

    /** The configuration with the store's main as the target. */
    SluiceConfig target(SluiceConfig config) {
        return config.with(Setting.TARGET_URL, store.mainWriterUrl());
    }

    @Override
    public void close() {
        try {
            if (api != null) {
                api.close();
            }
        } finally {
            store.close();
        }
    }
}
