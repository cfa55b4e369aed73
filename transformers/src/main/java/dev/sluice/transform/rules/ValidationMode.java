package dev.sluice.transform.rules;

import java.util.Locale;

/** How far the rules must cover the replicated columns (pgstream's {@code validation_mode}). */
public enum ValidationMode {
    /**
     * Every column of every replicated table has a rule; pass-through is written as {@code noop}.
     * A column that appears later (DDL) is written as NULL until a rule covers it.
     */
    STRICT,
    /** Columns without a rule pass through unchanged; start-up lists them in a warning. */
    RELAXED,
    /**
     * Each listed table says {@code strict} or {@code relaxed} itself; tables not listed pass
     * through.
     */
    TABLE_LEVEL;

    /** The word the rules file uses. */
    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
