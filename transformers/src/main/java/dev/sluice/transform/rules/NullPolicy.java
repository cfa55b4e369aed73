package dev.sluice.transform.rules;

/** What a column's chain does with SQL NULL ({@code null:}). */
public enum NullPolicy {
    /** NULL stays NULL and the chain is not called (the default). */
    KEEP,
    /**
     * The chain is called with the empty string in place of NULL, so a literal or template
     * transformer can write a value where the source has none (hiding which rows lack one).
     */
    TRANSFORM
}
