package dev.sluice.transform;

/**
 * What a factory knows when it builds a transformer for one column.
 *
 * @param column the column, for messages: {@code schema.table.column}
 * @param type the column's type as PostgreSQL names it ({@code text}, {@code timestamp with time
 *     zone}, {@code integer[]}, ...), or {@code null} when the schema is not known (validation
 *     without a source)
 * @param parameters the rule's parameters
 * @param key the keyed pseudo-random function of the column's domain
 */
public record TransformerContext(String column, String type, Parameters parameters, DomainKey key) {}
