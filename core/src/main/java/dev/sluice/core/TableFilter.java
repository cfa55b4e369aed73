package dev.sluice.core;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which source tables Sluice replicates, from patterns such as {@code public.*} and {@code
 * !audit.*}.
 *
 * <p>A pattern is {@code schema.table} with {@code *} and {@code ?} wildcards; a pattern without a
 * dot applies to every schema ({@code orders} is {@code *.orders}). A table is replicated when it
 * matches at least one including pattern (or there is none) and no excluding ({@code !}) pattern.
 * Sluice's own schema and the system schemas are never replicated.
 */
public final class TableFilter {

    private static final List<String> ALWAYS_EXCLUDED = List.of("sluice", "pg_catalog", "information_schema");

    private final List<String> patterns;
    private final List<Pattern> includes = new ArrayList<>();
    private final List<Pattern> excludes = new ArrayList<>();
    private final List<String> includeGlobs = new ArrayList<>();
    private final List<String> excludeGlobs = new ArrayList<>();

    private TableFilter(String setting, List<String> patterns) {
        this.patterns = List.copyOf(patterns);
        for (String raw : patterns) {
            String p = raw.strip();
            if (p.isEmpty()) {
                continue;
            }
            boolean exclude = p.startsWith("!");
            String body = exclude ? p.substring(1).strip() : p;
            Preconditions.requireConfig(
                    !body.isEmpty() && body.chars().filter(c -> c == '.').count() <= 1,
                    "%s: pattern '%s' is not valid (expected schema.table, with * and ? wildcards,"
                            + " optionally prefixed by ! to exclude; e.g. public.*, !audit.*)",
                    setting,
                    raw);
            String glob = body.contains(".") ? body : "*." + body;
            (exclude ? excludes : includes).add(toRegex(glob));
            (exclude ? excludeGlobs : includeGlobs).add(glob);
        }
    }

    /** Builds a filter; an empty list or {@code ["*"]} means every table. */
    public static TableFilter of(List<String> patterns) {
        return of("source.tables", patterns);
    }

    /** Builds a filter from the patterns of the named setting, which errors name. */
    public static TableFilter of(String setting, List<String> patterns) {
        return new TableFilter(setting, patterns);
    }

    public static TableFilter all() {
        return of(List.of());
    }

    private static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }

    public boolean includes(TableId table) {
        if (ALWAYS_EXCLUDED.contains(table.schema()) || table.schema().startsWith("pg_")) {
            return false;
        }
        String name = table.schema() + "." + table.name();
        boolean included = includes.isEmpty()
                || includes.stream().anyMatch(p -> p.matcher(name).matches());
        return included && excludes.stream().noneMatch(p -> p.matcher(name).matches());
    }

    /**
     * The including patterns as POSIX regular expressions over {@code schema.table}, for the same
     * decision made in SQL ({@code name ~ ANY (...)}) by DDL capture on the source.
     */
    public List<String> posixIncludes() {
        return includeGlobs.stream().map(TableFilter::toPosix).toList();
    }

    /** The excluding patterns, as {@link #posixIncludes()}. */
    public List<String> posixExcludes() {
        return excludeGlobs.stream().map(TableFilter::toPosix).toList();
    }

    private static String toPosix(String glob) {
        StringBuilder re = new StringBuilder("^");
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> {
                    if ("\\.^$|()[]{}+*?".indexOf(c) >= 0) {
                        re.append('\\');
                    }
                    re.append(c);
                }
            }
        }
        return re.append('$').toString();
    }

    public List<String> patterns() {
        return patterns;
    }

    @Override
    public String toString() {
        return patterns.isEmpty() ? "all tables" : String.join(", ", patterns);
    }
}
