package dev.sluice.ddl;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a query string into its statements and names each statement's command, so that the DDL
 * command a trigger fired for can be found in a query that held several.
 *
 * <p>Knows what hides a semicolon: quoted strings (with {@code ''} and, in {@code E''} strings,
 * backslash escapes), quoted identifiers, dollar quoting, line and nested block comments, and the
 * {@code BEGIN ATOMIC ... END} body of SQL-standard functions.
 */
final class SqlStatements {

    private static final Pattern DOLLAR_TAG = Pattern.compile("\\$([A-Za-z_][A-Za-z_0-9]*)?\\$");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_][A-Za-z_0-9$]*");
    private static final String NAME = "(?:\"(?:[^\"]|\"\")*\"|[\\w$]+)";
    /** {@code CREATE TABLE name [(column names)] [USING ...] [WITH (...)] [TABLESPACE ...] AS}: a column list holds no parentheses. */
    private static final Pattern CREATE_TABLE_AS =
            Pattern.compile("(?is)CREATE\\s+(?:(?:GLOBAL|LOCAL)\\s+)?(?:(?:TEMP|TEMPORARY|UNLOGGED)\\s+)?TABLE\\s+"
                    + "(?:IF\\s+NOT\\s+EXISTS\\s+)?" + NAME + "(?:\\s*\\.\\s*" + NAME + ")*\\s*"
                    + "(?:\\([^()]*\\)\\s*)?(?:USING\\s+\\w+\\s*)?(?:WITH\\s*\\([^()]*\\)\\s*)?"
                    + "(?:TABLESPACE\\s+\\w+\\s*)?AS\\b");

    private SqlStatements() {}

    /** The statements of {@code sql}, trimmed, without their semicolons; empty ones left out. */
    static List<String> split(String sql) {
        List<String> statements = new ArrayList<>();
        int start = 0;
        int i = 0;
        int n = sql.length();
        // Inside BEGIN ATOMIC: how many BEGIN/CASE are open, so the body's semicolons stay in.
        int atomicDepth = 0;
        String previousWord = "";
        while (i < n) {
            char c = sql.charAt(i);
            if (c == '\'') {
                boolean escapes = i > 0
                        && (sql.charAt(i - 1) == 'E' || sql.charAt(i - 1) == 'e')
                        && (i < 2 || !Character.isLetterOrDigit(sql.charAt(i - 2)));
                i = endOfQuoted(sql, i, '\'', escapes);
            } else if (c == '"') {
                i = endOfQuoted(sql, i, '"', false);
            } else if (c == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                int eol = sql.indexOf('\n', i);
                i = eol < 0 ? n : eol + 1;
            } else if (c == '/' && i + 1 < n && sql.charAt(i + 1) == '*') {
                i = endOfBlockComment(sql, i);
            } else if (c == '$' && (i == 0 || !isWordChar(sql.charAt(i - 1)))) {
                Matcher m = DOLLAR_TAG.matcher(sql).region(i, n);
                if (m.lookingAt()) {
                    String tag = m.group();
                    int close = sql.indexOf(tag, m.end());
                    i = close < 0 ? n : close + tag.length();
                } else {
                    i++;
                }
            } else if (Character.isLetter(c) || c == '_') {
                Matcher m = WORD.matcher(sql).region(i, n);
                m.lookingAt();
                String word = m.group().toUpperCase(Locale.ROOT);
                if (atomicDepth > 0) {
                    if (word.equals("BEGIN") || word.equals("CASE")) {
                        atomicDepth++;
                    } else if (word.equals("END")) {
                        atomicDepth--;
                    }
                } else if (word.equals("ATOMIC") && previousWord.equals("BEGIN")) {
                    atomicDepth = 1;
                }
                previousWord = word;
                i = m.end();
            } else if (c == ';' && atomicDepth == 0) {
                add(statements, sql.substring(start, i));
                start = i + 1;
                previousWord = "";
                i++;
            } else {
                i++;
            }
        }
        add(statements, sql.substring(start));
        return statements;
    }

    private static void add(List<String> statements, String statement) {
        String trimmed = stripLeadingComments(statement).strip();
        if (!trimmed.isEmpty()) {
            statements.add(trimmed);
        }
    }

    private static boolean isWordChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    private static int endOfQuoted(String sql, int open, char quote, boolean backslashEscapes) {
        int i = open + 1;
        while (i < sql.length()) {
            char c = sql.charAt(i);
            if (backslashEscapes && c == '\\') {
                i += 2;
            } else if (c == quote) {
                if (i + 1 < sql.length() && sql.charAt(i + 1) == quote) {
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    private static int endOfBlockComment(String sql, int open) {
        int depth = 0;
        int i = open;
        while (i < sql.length()) {
            if (sql.startsWith("/*", i)) {
                depth++;
                i += 2;
            } else if (sql.startsWith("*/", i)) {
                depth--;
                i += 2;
                if (depth == 0) {
                    return i;
                }
            } else {
                i++;
            }
        }
        return sql.length();
    }

    /** The statement without the comments and blank space before its first word. */
    static String stripLeadingComments(String statement) {
        int i = 0;
        while (i < statement.length()) {
            if (Character.isWhitespace(statement.charAt(i))) {
                i++;
            } else if (statement.startsWith("--", i)) {
                int eol = statement.indexOf('\n', i);
                i = eol < 0 ? statement.length() : eol + 1;
            } else if (statement.startsWith("/*", i)) {
                i = endOfBlockComment(statement, i);
            } else {
                break;
            }
        }
        return statement.substring(i);
    }

    /**
     * The command tag PostgreSQL reports for a statement, as far as its first words tell:
     * {@code CREATE UNIQUE INDEX} is {@code CREATE INDEX}, {@code CREATE OR REPLACE FUNCTION} is
     * {@code CREATE FUNCTION}. A temporary table's creation gets a tag of its own, since DDL
     * capture never reports those.
     */
    static String tag(String statement) {
        List<String> words = new ArrayList<>();
        Matcher m = WORD.matcher(stripLeadingComments(statement));
        while (words.size() < 8 && m.find()) {
            words.add(m.group().toUpperCase(Locale.ROOT));
        }
        if (words.isEmpty()) {
            return "";
        }
        String verb = words.get(0);
        if (!verb.equals("CREATE") && !verb.equals("ALTER") && !verb.equals("DROP")) {
            return switch (verb) {
                case "COMMENT" -> "COMMENT";
                case "REFRESH" -> "REFRESH MATERIALIZED VIEW";
                case "SELECT" -> words.contains("INTO") ? "SELECT INTO" : "SELECT";
                default -> verb;
            };
        }
        List<String> rest = new ArrayList<>(words.subList(1, words.size()));
        if (verb.equals("CREATE")) {
            if (rest.size() >= 2 && rest.get(0).equals("OR") && rest.get(1).equals("REPLACE")) {
                rest = rest.subList(2, rest.size());
            }
            if (!rest.isEmpty() && (rest.get(0).equals("TEMP") || rest.get(0).equals("TEMPORARY"))) {
                return "CREATE TEMPORARY " + String.join(" ", rest.subList(1, Math.min(rest.size(), 2)));
            }
            if (!rest.isEmpty()
                    && (rest.get(0).equals("UNIQUE")
                            || rest.get(0).equals("UNLOGGED")
                            || rest.get(0).equals("GLOBAL")
                            || rest.get(0).equals("LOCAL")
                            || rest.get(0).equals("TRUSTED")
                            || rest.get(0).equals("RECURSIVE")
                            || rest.get(0).equals("CONSTRAINT")
                            || rest.get(0).equals("DEFAULT"))) {
                if (rest.size() > 1
                        && (rest.get(1).equals("TEMP") || rest.get(1).equals("TEMPORARY"))) {
                    return "CREATE TEMPORARY " + (rest.size() > 2 ? rest.get(2) : "");
                }
                rest = rest.subList(1, rest.size());
            }
        }
        if (rest.isEmpty()) {
            return verb;
        }
        String object = rest.get(0);
        if (rest.size() >= 2
                && (object.equals("MATERIALIZED")
                        || object.equals("FOREIGN")
                        || object.equals("EVENT")
                        || object.equals("TEXT")
                        || object.equals("ACCESS")
                        || object.equals("USER")
                        || object.equals("OPERATOR"))) {
            object = object + " " + rest.get(1);
            if (rest.size() >= 3 && (object.equals("TEXT SEARCH") || object.equals("FOREIGN DATA"))) {
                object = object + " " + rest.get(2);
            }
        }
        if (verb.equals("CREATE")
                && object.equals("TABLE")
                && CREATE_TABLE_AS.matcher(statement.strip()).lookingAt()) {
            return "CREATE TABLE AS";
        }
        return verb + " " + object;
    }
}
