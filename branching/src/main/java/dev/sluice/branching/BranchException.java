package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import java.util.Optional;

/** Why a branch operation was refused, in a form the API maps to a status code. */
public final class BranchException extends SluiceException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, for the API's status code. */
    public enum Kind {
        /** 409: the name is taken; {@link #existing()} holds the branch. */
        EXISTS,
        /** 404: no such branch (or parent). */
        NOT_FOUND,
        /** 400: the request cannot be carried out as asked. */
        INVALID,
        /** 500: the store failed; the message says how. */
        FAILED
    }

    private final Kind kind;
    private final transient Branch existing;

    public BranchException(Kind kind, String message) {
        this(kind, message, null, null);
    }

    public BranchException(Kind kind, String message, Throwable cause) {
        this(kind, message, null, cause);
    }

    private BranchException(Kind kind, String message, Branch existing, Throwable cause) {
        super(kind == Kind.FAILED ? Reason.INTERNAL : Reason.CONFIG, message, cause);
        this.kind = kind;
        this.existing = existing;
    }

    /** The name is taken by {@code existing}. */
    public static BranchException exists(Branch existing) {
        return new BranchException(Kind.EXISTS, "branch '" + existing.name() + "' already exists", existing, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The branch that holds the name, for {@link Kind#EXISTS}. */
    public Optional<Branch> existing() {
        return Optional.ofNullable(existing);
    }
}
