package dev.sluice.core;

/**
 * A failure a person can act on: the message says what is wrong and how to fix it, and the
 * {@link Reason} lets a program react (exit codes, retries) without parsing text.
 *
 * <p>Messages never contain passwords or keys; connection strings in them are masked.
 */
public class SluiceException extends RuntimeException {

    /** Why the operation failed. */
    public enum Reason {
        CONFIG(2),
        SOURCE_UNREACHABLE(3),
        TARGET_UNREACHABLE(3),
        AUTHENTICATION(3),
        SOURCE_NOT_READY(4),
        PRIVILEGE(4),
        SLOT_IN_USE(5),
        TARGET_SCHEMA(6),
        APPLY(7),
        /**
         * A value a transformer could not handle, under {@code on_error: fail}: the message names
         * table, column and transformer, never the value.
         */
        TRANSFORM(8),
        INTERNAL(1);

        private final int exitCode;

        Reason(int exitCode) {
            this.exitCode = exitCode;
        }

        /** The process exit code the CLI uses for this reason. */
        public int exitCode() {
            return exitCode;
        }
    }

    private final Reason reason;

    public SluiceException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public SluiceException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
