package dev.sluice.pipeline.api;

import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.BranchSpec;
import dev.sluice.branching.BranchState;
import dev.sluice.branching.Branches;
import dev.sluice.core.PgUrl;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@link Branches} in memory, keeping the contract's refusals (EXISTS with the branch, NOT_FOUND
 * parent, INVALID for main), so the API and the CLI are tested without a database.
 */
public class InMemoryBranches implements Branches {

    public static final String DATABASE = "app";

    private final Map<String, Branch> branches = new LinkedHashMap<>();
    private final AtomicReference<BranchException> nextFailure = new AtomicReference<>();
    private final List<String> forcedDeletes = new ArrayList<>();
    private int nextPort = 15433;

    public InMemoryBranches() {
        branches.put(
                Branch.MAIN,
                new Branch(
                        Branch.MAIN,
                        Optional.empty(),
                        Instant.parse("2026-01-01T00:00:00Z"),
                        Optional.empty(),
                        BranchState.RUNNING,
                        PgUrl.of("127.0.0.1", 15432, DATABASE, "sluice_main", "main-secret"),
                        false,
                        true));
    }

    /** Main's postmaster as the store would report it: RUNNING, or STOPPED while it is being restarted. */
    public synchronized void mainState(BranchState state) {
        Branch main = branches.get(Branch.MAIN);
        branches.put(
                Branch.MAIN,
                new Branch(
                        main.name(),
                        main.parent(),
                        main.createdAt(),
                        main.expiresAt(),
                        state,
                        main.url(),
                        main.schemaOnly(),
                        main.copyOnWrite()));
    }

    /** The next create fails with {@code failure}. */
    public void failNextCreate(BranchException failure) {
        nextFailure.set(failure);
    }

    public synchronized List<String> forcedDeletes() {
        return List.copyOf(forcedDeletes);
    }

    @Override
    public synchronized Branch create(BranchSpec spec) {
        BranchException failure = nextFailure.getAndSet(null);
        if (failure != null) {
            throw failure;
        }
        Branch existing = branches.get(spec.name());
        if (existing != null) {
            throw BranchException.exists(existing);
        }
        if (!branches.containsKey(spec.from())) {
            throw new BranchException(BranchException.Kind.NOT_FOUND, "no branch '" + spec.from() + "' to clone from");
        }
        Instant now = Instant.now();
        Branch b = new Branch(
                spec.name(),
                Optional.of(spec.from()),
                now,
                spec.ttl().map(now::plus),
                BranchState.RUNNING,
                PgUrl.of(
                        "127.0.0.1",
                        nextPort++,
                        DATABASE,
                        "branch_" + spec.name().replace('-', '_'),
                        "pw-" + spec.name()),
                spec.schemaOnly(),
                true);
        branches.put(b.name(), b);
        return b;
    }

    @Override
    public synchronized List<Branch> list() {
        return List.copyOf(branches.values());
    }

    @Override
    public synchronized Optional<Branch> find(String name) {
        return Optional.ofNullable(branches.get(name));
    }

    @Override
    public synchronized Branch reset(String name) {
        if (name.equals(Branch.MAIN)) {
            throw new BranchException(BranchException.Kind.INVALID, "main cannot be reset: it is the replica");
        }
        Branch b = branches.get(name);
        if (b == null) {
            throw new BranchException(BranchException.Kind.NOT_FOUND, "no branch '" + name + "'");
        }
        return b;
    }

    @Override
    public synchronized boolean delete(String name, boolean force) {
        if (name.equals(Branch.MAIN)) {
            throw new BranchException(BranchException.Kind.INVALID, "main cannot be deleted");
        }
        if (!branches.containsKey(name)) {
            return false;
        }
        boolean hasChildren =
                branches.values().stream().anyMatch(b -> b.parent().equals(Optional.of(name)));
        if (hasChildren && !force) {
            throw new BranchException(
                    BranchException.Kind.INVALID,
                    "branch '" + name + "' has branches cloned from it; delete them first or pass force");
        }
        if (force) {
            forcedDeletes.add(name);
        }
        branches.remove(name);
        return true;
    }
}
