package dev.sluice.branching;

import java.util.List;
import java.util.Optional;

/**
 * The branches of one store: what the REST API and the CLI drive.
 *
 * <p>Implementations are thread-safe; operations on the same branch name are serialized, so a
 * create racing a delete of the same name sees one or the other, never half of each. Every
 * operation either completes or leaves nothing behind: a create that fails removes its files, its
 * port reservation and its record before it throws.
 */
public interface Branches {

    /**
     * Clones {@code spec.from()} into a new, running branch.
     *
     * @throws BranchException {@link BranchException.Kind#EXISTS} (carrying the existing branch)
     *     when the name is taken, {@link BranchException.Kind#NOT_FOUND} when the parent does not
     *     exist, {@link BranchException.Kind#INVALID} for a name that is not allowed
     */
    Branch create(BranchSpec spec);

    /** Every branch, {@code main} included, oldest first. */
    List<Branch> list();

    /** The branch called {@code name}, if there is one. */
    Optional<Branch> find(String name);

    /**
     * Re-clones a branch from its parent's current state, keeping its name, port and credentials,
     * so its connection string does not change.
     *
     * @throws BranchException {@link BranchException.Kind#NOT_FOUND} when there is no such branch,
     *     {@link BranchException.Kind#INVALID} for {@code main}
     */
    Branch reset(String name);

    /**
     * Stops the branch and frees its storage; {@code false} when there was no such branch.
     *
     * @throws BranchException {@link BranchException.Kind#INVALID} for {@code main}, or for a
     *     branch other branches were cloned from unless {@code force}
     */
    boolean delete(String name, boolean force);
}
