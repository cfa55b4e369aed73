package dev.sluice.core;

/** Checks with message templates, so callers state the rule instead of writing if/throw. */
public final class Preconditions {

    private Preconditions() {}

    /** Throws {@link IllegalArgumentException} with the formatted message when {@code expression} is false. */
    public static void requireArgument(boolean expression, String template, Object... args) {
        if (!expression) {
            throw new IllegalArgumentException(String.format(template, args));
        }
    }

    /** Throws {@link IllegalStateException} with the formatted message when {@code expression} is false. */
    public static void requireState(boolean expression, String template, Object... args) {
        if (!expression) {
            throw new IllegalStateException(String.format(template, args));
        }
    }

    /** Throws a {@link SluiceException} of reason {@code CONFIG} when {@code expression} is false. */
    public static void requireConfig(boolean expression, String template, Object... args) {
        if (!expression) {
            throw new SluiceException(SluiceException.Reason.CONFIG, String.format(template, args));
        }
    }
}
