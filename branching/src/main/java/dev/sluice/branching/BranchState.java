package dev.sluice.branching;

/** Where a branch's postmaster is in its life. */
public enum BranchState {
    /** Being cloned; not yet accepting connections. */
    CREATING,
    /** Its postmaster runs and accepts connections. */
    RUNNING,
    /** Idle, postmaster stopped; the next connection to its port starts it. */
    STOPPED,
    /** Its postmaster could not start; the reason is in the store's log. */
    FAILED
}
