package dev.sluice.pipeline.metrics;

import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchState;
import dev.sluice.branching.BranchStore;
import dev.sluice.branching.Branches;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Locale;

/** The branch store's meters and health, served by {@code run --store}, {@code serve} and the demo. */
public final class StoreMeters {

    private StoreMeters() {}

    /**
     * Registers {@code sluice_store_branches} per {@code state}, main not counted, and for a local
     * {@link BranchStore} {@code sluice_store_main_restarts_total}: how often main's postmaster was
     * started again after dying on its own. An alert on its rate catches a main that keeps crashing,
     * which the pipeline's retries and the store's restarts would otherwise hide.
     */
    public static void bind(MeterRegistry registry, Branches store) {
        if (store instanceof BranchStore local) {
            FunctionCounter.builder(
                            "sluice_store_main_restarts",
                            local,
                            s -> s.mainRestarts().count())
                    .description("Times main's postmaster was started again after it died on its own, since the"
                            + " store opened")
                    .register(registry);
        }
        for (BranchState state : BranchState.values()) {
            Gauge.builder("sluice_store_branches", store, s -> branchesIn(s, state))
                    .description("Branches of the store (main not counted) by state")
                    .tag("state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
    }

    /**
     * Healthy while main's postmaster runs: when it has died, the store is starting it again and
     * neither replication into main nor new branches can proceed until it is back.
     */
    public static MetricsServer.Health health(Branches store) {
        BranchState main = store.find(Branch.MAIN).map(Branch::state).orElse(BranchState.FAILED);
        return new MetricsServer.Health(
                main == BranchState.RUNNING, "main " + main.name().toLowerCase(Locale.ROOT));
    }

    private static long branchesIn(Branches store, BranchState state) {
        return store.list().stream()
                .filter(b -> !Branch.MAIN.equals(b.name()) && b.state() == state)
                .count();
    }
}
