package dev.sluice.transform;

/**
 * A value a transformer cannot handle. The message says what was expected, never the value itself,
 * since it may be personal data; the processor adds table and column.
 */
public final class TransformException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TransformException(String message) {
        super(message);
    }
}
