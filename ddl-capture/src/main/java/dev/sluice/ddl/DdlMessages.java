package dev.sluice.ddl;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.core.Lsn;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Message;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.DdlCommand.ColumnDefinition;
import dev.sluice.core.event.DdlCommand.ColumnRename;
import dev.sluice.core.event.DdlCommand.DdlObject;
import dev.sluice.core.event.DdlCommand.Rename;
import dev.sluice.core.event.DdlCommand.TableDefinition;
import dev.sluice.core.event.DdlCommand.TableRename;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decodes the logical messages DDL capture writes on the source into {@link SchemaChange}s.
 *
 * <p>The trigger sends the whole query a command came in, once per transaction and query; when a
 * query holds several statements, each command is matched to the next statement of the query with
 * its command tag that names one of the objects it touched. A command run by a function or a
 * {@code DO} block has no statement of its own and decodes with an empty statement.
 *
 * <p>Stateful and not thread-safe: one reader decodes the stream in order.
 */
public final class DdlMessages {

    /** The prefix of DDL capture's logical messages. */
    public static final String PREFIX = "sluice.ddl";

    /** The message format this version writes and reads. */
    public static final int VERSION = 1;

    private static final Logger log = LoggerFactory.getLogger(DdlMessages.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Types of dropped objects whose address names start with their table's schema and name. */
    private static final Set<String> TABLE_PARTS = Set.of(
            "table",
            "table column",
            "table constraint",
            "trigger",
            "rule",
            "policy",
            "view",
            "materialized view",
            "foreign table");

    private static final String NAME = "(\"(?:[^\"]|\"\")*\"|[\\p{L}_][\\p{L}\\p{N}_$]*)";
    private static final Pattern RENAME_COLUMN = Pattern.compile("(?is)ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?"
            + "(?:ONLY\\s+)?" + NAME + "(?:\\s*\\.\\s*" + NAME + ")?\\s*\\*?\\s+RENAME\\s+(?:COLUMN\\s+)?"
            + NAME + "\\s+TO\\s+" + NAME + "\\s*");

    private static final Pattern RENAME_TABLE = Pattern.compile("(?is)ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?"
            + "(?:ONLY\\s+)?" + NAME + "(?:\\s*\\.\\s*" + NAME + ")?\\s*\\*?\\s+RENAME\\s+TO\\s+" + NAME + "\\s*");

    private static final Pattern SET_SCHEMA = Pattern.compile("(?is)ALTER\\s+TABLE\\s+(?:IF\\s+EXISTS\\s+)?" + NAME
            + "(?:\\s*\\.\\s*" + NAME + ")?\\s+SET\\s+SCHEMA\\s+" + NAME + "\\s*");

    private String queryKey;
    private List<String> statements = List.of();
    private int cursor;

    /** Whether the message is one of DDL capture's. */
    public static boolean isDdl(Message message) {
        return message.transactional() && PREFIX.equals(message.prefix());
    }

    public SchemaChange decode(Message message) {
        JsonNode json;
        try {
            json = JSON.readTree(new String(message.content(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new SluiceException(
                    Reason.INTERNAL,
                    "The DDL message at source position " + message.lsn() + " is not valid JSON: " + e.getMessage(),
                    e);
        }
        int version = json.path("version").asInt(-1);
        if (version != VERSION) {
            throw new SluiceException(
                    Reason.SOURCE_NOT_READY,
                    "The DDL message at source position " + message.lsn() + " has format version " + version
                            + "; this Sluice reads version " + VERSION + ". Run the same Sluice version's"
                            + " `sluice init` on the source to install its DDL capture.");
        }
        String tag = json.path("tag").asText();
        List<DdlObject> objects = objects(json);
        Optional<String> statement = statement(json, tag, objects);
        List<TableDefinition> tables = tables(json.path("tables"));
        DdlCommand command = new DdlCommand(
                tag,
                statement,
                json.path("search_path").asText(""),
                objects,
                tables,
                statement.flatMap(
                        s -> rename(s, objects, json.path("search_path").asText(""), message.lsn())));
        report(json, message);
        return new SchemaChange(message.lsn(), command);
    }

    /**
     * Whether the command concerns what the filter replicates: not when every object it touched
     * belongs to a table the filter leaves out.
     */
    public static boolean concerns(DdlCommand command, TableFilter filter) {
        return command.objects().isEmpty()
                || command.objects().stream()
                        .anyMatch(o -> o.table().map(filter::includes).orElse(true));
    }

    private Optional<String> statement(JsonNode json, String tag, List<DdlObject> objects) {
        String key = json.path("query_key").asText();
        JsonNode query = json.path("query");
        if (!query.isNull() && !query.isMissingNode() && !key.equals(queryKey)) {
            queryKey = key;
            statements = SqlStatements.split(query.asText());
            cursor = 0;
        } else if (!key.equals(queryKey)) {
            // The query went with an earlier message this reader never saw.
            return Optional.empty();
        }
        List<String> names = names(objects);
        int fallback = -1;
        for (int i = cursor; i < statements.size(); i++) {
            String candidate = statements.get(i);
            if (!SqlStatements.tag(candidate).equals(tag)) {
                continue;
            }
            String lower = candidate.toLowerCase(Locale.ROOT);
            if (names.isEmpty() || names.stream().anyMatch(lower::contains)) {
                cursor = i + 1;
                return Optional.of(candidate);
            }
            if (fallback < 0) {
                fallback = i;
            }
        }
        if (fallback >= 0) {
            cursor = fallback + 1;
            return Optional.of(statements.get(fallback));
        }
        return Optional.empty();
    }

    /** The names a statement for these objects would mention: each object's own and its table's. */
    private static List<String> names(List<DdlObject> objects) {
        List<String> names = new ArrayList<>();
        for (DdlObject o : objects) {
            String identity = o.identity();
            int dot = identity.lastIndexOf('.');
            names.add(unquote(dot < 0 ? identity : identity.substring(dot + 1)).toLowerCase(Locale.ROOT));
            o.table().ifPresent(t -> names.add(t.name().toLowerCase(Locale.ROOT)));
        }
        return names;
    }

    private static List<DdlObject> objects(JsonNode json) {
        List<DdlObject> objects = new ArrayList<>();
        for (JsonNode o : json.path("objects")) {
            JsonNode table = o.path("table");
            Optional<TableId> owner = table.isArray() && table.size() == 2
                    ? Optional.of(
                            new TableId(table.get(0).asText(), table.get(1).asText()))
                    : Optional.empty();
            objects.add(
                    new DdlObject(o.path("type").asText(), o.path("identity").asText(), owner, false));
        }
        for (JsonNode o : json.path("dropped")) {
            String type = o.path("type").asText();
            JsonNode names = o.path("names");
            Optional<TableId> owner = TABLE_PARTS.contains(type) && names.size() >= 2
                    ? Optional.of(
                            new TableId(names.get(0).asText(), names.get(1).asText()))
                    : Optional.empty();
            objects.add(new DdlObject(type, o.path("identity").asText(), owner, true));
        }
        return objects;
    }

    private static List<TableDefinition> tables(JsonNode tables) {
        List<TableDefinition> definitions = new ArrayList<>();
        for (JsonNode t : tables) {
            List<ColumnDefinition> columns = new ArrayList<>();
            for (JsonNode c : t.path("columns")) {
                JsonNode def = c.path("default");
                columns.add(new ColumnDefinition(
                        c.path("name").asText(),
                        c.path("type").asText(),
                        c.path("not_null").asBoolean(),
                        def.isNull() || def.isMissingNode() ? Optional.empty() : Optional.of(def.asText()),
                        c.path("identity").asText(""),
                        c.path("generated").asText("")));
            }
            List<String> key = new ArrayList<>();
            t.path("primary_key").forEach(k -> key.add(k.asText()));
            definitions.add(new TableDefinition(
                    new TableId(t.path("schema").asText(), t.path("name").asText()), columns, key));
        }
        return definitions;
    }

    private static Optional<Rename> rename(String statement, List<DdlObject> objects, String searchPath, Lsn lsn) {
        Optional<TableId> table = objects.stream()
                .filter(o -> !o.dropped())
                .flatMap(o -> o.table().stream())
                .findFirst();
        Matcher column = RENAME_COLUMN.matcher(statement.strip());
        if (column.matches()) {
            return table.map(t -> new ColumnRename(t, unquote(column.group(3)), unquote(column.group(4))));
        }
        Matcher renamed = RENAME_TABLE.matcher(statement.strip());
        if (renamed.matches()) {
            String from = unquote(renamed.group(2) != null ? renamed.group(2) : renamed.group(1));
            return table.map(t -> new TableRename(new TableId(t.schema(), from), t));
        }
        Matcher moved = SET_SCHEMA.matcher(statement.strip());
        if (moved.matches()) {
            return moved(moved, objects, searchPath, lsn);
        }
        return Optional.empty();
    }

    /**
     * {@code ALTER TABLE [schema.]name SET SCHEMA other}: the table keeps its name in its new schema.
     * Its old schema is the one written in the statement; for an unqualified name, the one the
     * command's {@code search_path} leads to, when only one schema of it can be meant (see {@link
     * #oldSchema}). When none can be told, no rename is reported, and a warning says so.
     */
    private static Optional<Rename> moved(Matcher moved, List<DdlObject> objects, String searchPath, Lsn lsn) {
        boolean qualified = moved.group(2) != null;
        String name = unquote(qualified ? moved.group(2) : moved.group(1));
        TableId to = new TableId(unquote(moved.group(3)), name);
        boolean touched = objects.stream()
                .filter(o -> !o.dropped())
                .anyMatch(o -> o.table().filter(to::equals).isPresent());
        if (!touched) {
            // Not a table of ours (a view, a sequence), or the command did nothing.
            return Optional.empty();
        }
        Optional<String> from = qualified ? Optional.of(unquote(moved.group(1))) : oldSchema(searchPath, to.schema());
        if (from.isEmpty()) {
            log.warn(
                    "Table {} was moved to schema {} on the source (position {}) under search_path '{}', which does"
                            + " not tell which schema it came from: it no longer follows the rules written for its"
                            + " old name. Name the schema in ALTER TABLE ... SET SCHEMA, and give the table rules"
                            + " under its new name.",
                    name,
                    to.schema(),
                    lsn,
                    searchPath);
            return Optional.empty();
        }
        return Optional.of(new TableRename(new TableId(from.get(), name), to));
    }

    /**
     * The schema an unqualified table name moved to {@code to} was found in: the one schema of the
     * {@code search_path} it can have been, leaving out the system schemas ({@code pg_catalog},
     * {@code pg_temp}: not ours), the new schema (the table was not in it) and {@code "$user"}
     * (the role is not known here; like PostgreSQL's default, a schema named after it is taken not
     * to exist). Empty when no schema, or more than one, remains: which of them held the table
     * depends on what existed when the command ran.
     */
    static Optional<String> oldSchema(String searchPath, String to) {
        List<String> candidates = new ArrayList<>();
        for (String entry : pathEntries(searchPath)) {
            String schema = unquote(entry.strip());
            if (schema.isEmpty()
                    || schema.equals("$user")
                    || schema.equals("pg_catalog")
                    || schema.startsWith("pg_temp")
                    || schema.equals(to)
                    || candidates.contains(schema)) {
                continue;
            }
            candidates.add(schema);
        }
        return candidates.size() == 1 ? Optional.of(candidates.get(0)) : Optional.empty();
    }

    /** The entries of a {@code search_path} as PostgreSQL prints it: separated by commas outside quotes. */
    private static List<String> pathEntries(String searchPath) {
        List<String> entries = new ArrayList<>();
        StringBuilder entry = new StringBuilder();
        boolean quoted = false;
        for (char c : searchPath.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                entries.add(entry.toString());
                entry.setLength(0);
            } else {
                entry.append(c);
            }
        }
        entries.add(entry.toString());
        return entries;
    }

    /** An identifier as PostgreSQL stores it: quoted ones as written, others folded to lower case. */
    static String unquote(String name) {
        if (name.length() >= 2 && name.startsWith("\"") && name.endsWith("\"")) {
            return name.substring(1, name.length() - 1).replace("\"\"", "\"");
        }
        return name.toLowerCase(Locale.ROOT);
    }

    private static void report(JsonNode json, Message message) {
        for (JsonNode p : json.path("published")) {
            log.info(
                    "New table {} joined publication {} on the source; it replicates from its first row",
                    p.path("table").asText(),
                    p.path("publication").asText());
        }
        for (JsonNode p : json.path("unpublished")) {
            log.warn(
                    "New table {} on the source is not replicated (source position {}): it could not join"
                            + " publication {}: {}. Give it a primary key (or a replica identity) and add it to the"
                            + " publication as its owner; rows written before then are not on the target.",
                    p.path("table").asText(),
                    message.lsn(),
                    p.path("publication").asText(),
                    p.path("reason").asText());
        }
    }
}
