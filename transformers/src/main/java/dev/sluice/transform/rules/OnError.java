package dev.sluice.transform.rules;

import java.util.Locale;

/** What happens when a transformer cannot handle a value ({@code on_error}). */
public enum OnError {
    /** Stop the pipeline with an error naming table, column and transformer, never the value (the default). */
    FAIL,
    /** Write NULL instead and count it. */
    NULL,
    /**
     * Write the original value and count it. pgstream's {@code pass-through}: accepted so that its
     * files load, never the default, and warned about at start-up, since it lets raw data through.
     */
    PASS_THROUGH;

    public String word() {
        return this == PASS_THROUGH ? "pass-through" : name().toLowerCase(Locale.ROOT);
    }
}
