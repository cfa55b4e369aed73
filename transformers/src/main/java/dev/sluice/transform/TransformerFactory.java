package dev.sluice.transform;

/**
 * Makes a transformer from a rule in {@code transform.yaml}: one factory per transformer name,
 * found through the registry. Parameters are checked here, once, at start-up.
 */
public interface TransformerFactory {

    /** The name rules use, e.g. {@code email} or pgstream's {@code neosync_email}. */
    String name();

    /**
     * Builds the transformer for one column.
     *
     * @throws dev.sluice.core.SluiceException with reason CONFIG, through {@link Parameters}, when
     *     a parameter is missing, unknown or out of range
     */
    Transformer create(TransformerContext context);
}
