package dev.sluice.snapshot;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pg_dump plain-text script split into its objects (TOC entries), so that each can be created,
 * and recorded, on its own.
 *
 * <p>pg_dump precedes each entry with a header comment,
 *
 * <pre>
 * --
 * -- Name: orders orders_pkey; Type: CONSTRAINT; Schema: app; Owner: -
 * --
 * </pre>
 *
 * <p>followed by the entry's SQL. Before that header it writes {@code SET} lines when a session
 * setting must change for the entry (a tablespace, a table access method), and then only when it
 * changes; each entry therefore carries every such setting in force at its place in the script, to
 * run first in its own transaction. What comes before the first header (session settings such as
 * the empty {@code search_path} the script is written for) is the preamble, to run once per session.
 */
record DumpScript(String preamble, List<Entry> entries) {

    private static final Pattern HEADER =
            Pattern.compile("-- (?:Data for )?Name: (.*); Type: ([^;]*); Schema: (.*?); Owner: .*");
    private static final Pattern SETTING = Pattern.compile("SET ([a-z_]+) = ('(?:[^']|'')*'|[A-Za-z0-9_.\\-]+);");

    /**
     * One object of the script.
     *
     * @param type pg_dump's kind of object, e.g. {@code INDEX}, {@code FK CONSTRAINT}
     * @param schema the schema, or {@code -} for objects outside any schema
     * @param name pg_dump's tag: the object's name, prefixed by its table's name for constraints,
     *     triggers, rules and policies
     * @param key what names the entry in the snapshot ledger: {@code type schema name}, unique in a script
     * @param settings {@code SET LOCAL} statements to run before the SQL
     */
    record Entry(String type, String schema, String name, String key, String sql, List<String> settings) {

        /** Schema and name, as a person reads them. */
        String displayName() {
            return schema.equals("-") ? name : schema + "." + name;
        }

        /** The first line of the SQL that is neither blank nor a comment. */
        String firstLine() {
            return sql.lines()
                    .filter(l -> !l.isBlank() && !l.startsWith("--"))
                    .findFirst()
                    .orElse("")
                    .strip();
        }

        Entry withSql(String newSql) {
            return new Entry(type, schema, name, key, newSql, settings);
        }
    }

    DumpScript {
        entries = List.copyOf(entries);
    }

    /** Splits a script without psql meta-commands (see {@link SchemaCopier#withoutMetaCommands}). */
    static DumpScript parse(String script) {
        String[] lines = script.split("\n", -1);
        String preamble = null;
        List<Entry> entries = new ArrayList<>();
        Map<String, String> settings = new LinkedHashMap<>();
        Map<String, Integer> seenKeys = new HashMap<>();
        List<String> chunk = new ArrayList<>();
        Matcher header = null;
        for (int i = 0; i < lines.length; i++) {
            Matcher m = i + 2 < lines.length && lines[i].equals("--") && lines[i + 2].equals("--")
                    ? HEADER.matcher(lines[i + 1])
                    : null;
            if (m == null || !m.matches()) {
                chunk.add(lines[i]);
                continue;
            }
            if (header == null) {
                preamble = String.join("\n", chunk).strip() + "\n";
            } else {
                List<String> trailing = trailingSettings(chunk);
                entries.add(entry(header, chunk, settings, seenKeys));
                for (String line : trailing) {
                    Matcher s = SETTING.matcher(line);
                    if (s.matches()) {
                        settings.put(s.group(1), "SET LOCAL " + s.group(1) + " = " + s.group(2));
                    }
                }
            }
            chunk.clear();
            header = m;
            i += 2;
        }
        if (header == null) {
            return new DumpScript(String.join("\n", chunk).strip() + "\n", List.of());
        }
        entries.add(entry(header, chunk, settings, seenKeys));
        return new DumpScript(preamble, entries);
    }

    /** Removes, and returns, the {@code SET} lines (and blank lines) that end a chunk. */
    private static List<String> trailingSettings(List<String> chunk) {
        List<String> settings = new ArrayList<>();
        while (!chunk.isEmpty()) {
            String last = chunk.get(chunk.size() - 1);
            if (last.isBlank()) {
                chunk.remove(chunk.size() - 1);
            } else if (SETTING.matcher(last).matches()) {
                settings.add(0, last);
                chunk.remove(chunk.size() - 1);
            } else {
                break;
            }
        }
        return settings;
    }

    private static Entry entry(
            Matcher header, List<String> chunk, Map<String, String> settings, Map<String, Integer> seenKeys) {
        // Drop the blank lines around the SQL and the comments after it (the script's closing banner).
        int end = chunk.size();
        while (end > 0 && (chunk.get(end - 1).isBlank() || chunk.get(end - 1).startsWith("--"))) {
            end--;
        }
        int start = 0;
        while (start < end && chunk.get(start).isBlank()) {
            start++;
        }
        String sql = String.join("\n", chunk.subList(start, end)) + "\n";
        String name = header.group(1);
        String type = header.group(2);
        String schema = header.group(3);
        String key = type + " " + schema + " " + name;
        // Tags are unique within a dump but not parseable when names contain spaces, so two entries
        // could in theory print alike; the dump's order is stable, so a counter keeps them apart.
        int seen = seenKeys.merge(key, 1, Integer::sum);
        if (seen > 1) {
            key = key + " #" + seen;
        }
        return new Entry(type, schema, name, key, sql, List.copyOf(settings.values()));
    }
}
