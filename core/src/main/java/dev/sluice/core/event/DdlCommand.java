package dev.sluice.core.event;

import dev.sluice.core.TableId;
import java.util.List;
import java.util.Optional;

/**
 * One schema-changing command as the source ran it.
 *
 * @param tag the command tag, such as {@code ALTER TABLE}
 * @param statement the single SQL statement to run on the target, or empty when it could not be
 *     told apart from the query it came in (a DDL run by a function or a {@code DO} block)
 * @param searchPath the {@code search_path} the command ran under, which resolves its unqualified
 *     names
 * @param objects what the command created, changed or dropped
 * @param tables the resulting definition of every table the command touched and that still exists
 * @param rename the column or table the command renamed, if it is {@code ALTER TABLE ... RENAME} or
 *     {@code ALTER TABLE ... SET SCHEMA} (and, for an unqualified name, its old schema can be told)
 */
public record DdlCommand(
        String tag,
        Optional<String> statement,
        String searchPath,
        List<DdlObject> objects,
        List<TableDefinition> tables,
        Optional<Rename> rename) {

    public DdlCommand {
        objects = List.copyOf(objects);
        tables = List.copyOf(tables);
    }

    /** A rename, which anonymization rules written for the old name follow. */
    public sealed interface Rename {}

    /** {@code table}'s column {@code from} is now called {@code to}. */
    public record ColumnRename(TableId table, String from, String to) implements Rename {}

    /**
     * Table {@code from} is now called {@code to}: renamed within its schema ({@code RENAME TO}), or
     * moved to another schema under the same name ({@code SET SCHEMA}).
     */
    public record TableRename(TableId from, TableId to) implements Rename {}

    /**
     * An object the command touched.
     *
     * @param type PostgreSQL's object type, such as {@code table}, {@code index}, {@code table column}
     * @param identity its qualified identity, such as {@code public.users}
     * @param table the table it belongs to (itself for a table), or empty for an object of its own
     *     (a function, a type, a schema), or a dropped object whose table is gone from the catalog
     * @param dropped whether the command dropped it
     */
    public record DdlObject(String type, String identity, Optional<TableId> table, boolean dropped) {}

    /** A table as it is after the command. */
    public record TableDefinition(TableId table, List<ColumnDefinition> columns, List<String> primaryKey) {

        public TableDefinition {
            columns = List.copyOf(columns);
            primaryKey = List.copyOf(primaryKey);
        }

        public Optional<ColumnDefinition> column(String name) {
            return columns.stream().filter(c -> c.name().equals(name)).findFirst();
        }
    }

    /**
     * A column after the command.
     *
     * @param type the type as {@code format_type} writes it, such as {@code character varying(40)}
     * @param defaultExpression the default, empty when none
     * @param identity {@code a} (always), {@code d} (by default), or empty
     * @param generated {@code s} (stored), or empty
     */
    public record ColumnDefinition(
            String name,
            String type,
            boolean notNull,
            Optional<String> defaultExpression,
            String identity,
            String generated) {}
}
