package dev.sluice.transform;

/**
 * Rewrites one column's value on its way to the target. Built once per column from its rule (see
 * {@link TransformerFactory}), then called for every row of the snapshot and the stream, from
 * several threads: implementations are immutable and thread-safe.
 *
 * <p>A deterministic transformer returns the same output for the same input under the same key,
 * in the snapshot and the stream and across restarts, so joins and foreign keys survive. Its
 * randomness comes only from the column's {@link DomainKey}, never from an unkeyed hash.
 */
@FunctionalInterface
public interface Transformer {

    /**
     * The value to write instead of {@code value}.
     *
     * @param value a non-null value in PostgreSQL's text form, as pgoutput and {@code COPY} carry it
     * @return the replacement in the same text form, or {@code null} for SQL NULL
     * @throws TransformException when the value cannot be transformed (not parseable as the
     *     transformer expects); its message names the problem, never the value
     */
    String apply(String value);

    /** What the transformer promises about distinct inputs; columns under a unique index need it. */
    default Uniqueness uniqueness() {
        return Uniqueness.NONE;
    }

    /** How far distinct inputs stay distinct. */
    enum Uniqueness {
        /** Distinct inputs may collide (masks, fake names from a small dictionary, constants). */
        NONE,
        /**
         * Outputs are drawn from a keyed hash over a space so large that collisions do not happen
         * in practice at millions of rows, but are not excluded.
         */
        PRACTICAL,
        /** A bijection (format-preserving encryption): distinct inputs never collide. */
        GUARANTEED
    }
}
