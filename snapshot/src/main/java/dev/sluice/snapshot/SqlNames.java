package dev.sluice.snapshot;

import dev.sluice.core.TableId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads object names out of the few statement shapes pg_dump writes for post-data objects. pg_dump
 * schema-qualifies every name and quotes one exactly when it needs quoting, so a small tokenizer is
 * enough; a statement of another shape yields nothing rather than a guess.
 */
final class SqlNames {

    /** A foreign key: the table it is on, its name, and the table it references. */
    record ForeignKey(TableId table, String name, TableId references) {}

    /** A constraint named as in {@code COMMENT ON CONSTRAINT name ON table}. */
    record ConstraintRef(TableId table, String name) {}

    private enum Kind {
        WORD,
        QUOTED,
        STRING,
        SYMBOL
    }

    private record Token(Kind kind, String text) {
        boolean is(String keyword) {
            return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
        }

        boolean isSymbol(char c) {
            return kind == Kind.SYMBOL && text.charAt(0) == c;
        }

        boolean isName() {
            return kind == Kind.WORD || kind == Kind.QUOTED;
        }

        /** The identifier as the catalog spells it: unquoted words fold to lower case. */
        String name() {
            return kind == Kind.QUOTED ? text : text.toLowerCase(Locale.ROOT);
        }
    }

    private SqlNames() {}

    /**
     * The table an {@code ALTER TABLE [ONLY] t ...} or {@code CREATE [UNIQUE] INDEX i ON [ONLY] t ...}
     * statement works on.
     */
    static Optional<TableId> table(String sql) {
        Cursor c = new Cursor(tokens(sql));
        if (c.accept("ALTER") && c.accept("TABLE")) {
            c.accept("ONLY");
            return c.tableName();
        }
        c = new Cursor(tokens(sql));
        if (c.accept("CREATE")) {
            c.accept("UNIQUE");
            if (c.accept("INDEX") && c.name().isPresent() && c.accept("ON")) {
                c.accept("ONLY");
                return c.tableName();
            }
        }
        return Optional.empty();
    }

    /** {@code ALTER TABLE [ONLY] t ADD CONSTRAINT c FOREIGN KEY (...) REFERENCES r(...) ...}. */
    static Optional<ForeignKey> foreignKey(String sql) {
        Cursor c = new Cursor(tokens(sql));
        if (!(c.accept("ALTER") && c.accept("TABLE"))) {
            return Optional.empty();
        }
        c.accept("ONLY");
        Optional<TableId> table = c.tableName();
        if (table.isEmpty() || !(c.accept("ADD") && c.accept("CONSTRAINT"))) {
            return Optional.empty();
        }
        Optional<String> name = c.name();
        if (name.isEmpty() || !(c.accept("FOREIGN") && c.accept("KEY") && c.acceptSymbol('('))) {
            return Optional.empty();
        }
        while (!c.atEnd() && !c.peekSymbol(')')) {
            c.next();
        }
        if (!(c.acceptSymbol(')') && c.accept("REFERENCES"))) {
            return Optional.empty();
        }
        return c.tableName().map(references -> new ForeignKey(table.get(), name.get(), references));
    }

    /** {@code COMMENT ON CONSTRAINT c ON t IS ...}: the constraint commented on. */
    static Optional<ConstraintRef> commentedConstraint(String sql) {
        Cursor c = new Cursor(tokens(sql));
        if (!(c.accept("COMMENT") && c.accept("ON") && c.accept("CONSTRAINT"))) {
            return Optional.empty();
        }
        Optional<String> name = c.name();
        if (name.isEmpty() || !c.accept("ON")) {
            return Optional.empty();
        }
        return c.tableName().map(table -> new ConstraintRef(table, name.get()));
    }

    /** {@code CREATE EVENT TRIGGER e ON event [WHEN ...] EXECUTE FUNCTION|PROCEDURE f()}: the function's schema. */
    static Optional<String> eventTriggerFunctionSchema(String sql) {
        Cursor c = new Cursor(tokens(sql));
        if (!(c.accept("CREATE") && c.accept("EVENT") && c.accept("TRIGGER"))) {
            return Optional.empty();
        }
        while (!c.atEnd() && !c.accept("EXECUTE")) {
            c.next();
        }
        if (!(c.accept("FUNCTION") || c.accept("PROCEDURE"))) {
            return Optional.empty();
        }
        List<String> parts = c.qualifiedName();
        return parts.size() == 2 ? Optional.of(parts.get(0)) : Optional.empty();
    }

    /** The tokens of the first statement (up to its {@code ;}), without comments and whitespace. */
    private static List<Token> tokens(String sql) {
        List<Token> tokens = new ArrayList<>();
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char ch = sql.charAt(i);
            if (Character.isWhitespace(ch)) {
                i++;
            } else if (ch == '-' && i + 1 < n && sql.charAt(i + 1) == '-') {
                while (i < n && sql.charAt(i) != '\n') {
                    i++;
                }
            } else if (ch == ';') {
                break;
            } else if (ch == '"') {
                StringBuilder ident = new StringBuilder();
                i = quoted(sql, i, '"', false, ident);
                tokens.add(new Token(Kind.QUOTED, ident.toString()));
            } else if (ch == '\'') {
                StringBuilder text = new StringBuilder();
                i = quoted(sql, i, '\'', false, text);
                tokens.add(new Token(Kind.STRING, text.toString()));
            } else if ((ch == 'E' || ch == 'e') && i + 1 < n && sql.charAt(i + 1) == '\'') {
                StringBuilder text = new StringBuilder();
                i = quoted(sql, i + 1, '\'', true, text);
                tokens.add(new Token(Kind.STRING, text.toString()));
            } else if (ch == '$' && dollarTag(sql, i) != null) {
                String tag = dollarTag(sql, i);
                int end = sql.indexOf(tag, i + tag.length());
                int stop = end < 0 ? n : end;
                tokens.add(new Token(Kind.STRING, sql.substring(i + tag.length(), stop)));
                i = end < 0 ? n : end + tag.length();
            } else if (isWordChar(ch)) {
                int start = i;
                while (i < n && (isWordChar(sql.charAt(i)) || sql.charAt(i) == '$')) {
                    i++;
                }
                tokens.add(new Token(Kind.WORD, sql.substring(start, i)));
            } else {
                tokens.add(new Token(Kind.SYMBOL, String.valueOf(ch)));
                i++;
            }
        }
        return tokens;
    }

    /** Reads a quoted run starting at {@code start} (the opening quote); returns the index after it. */
    private static int quoted(String sql, int start, char quote, boolean backslashEscapes, StringBuilder out) {
        int i = start + 1;
        int n = sql.length();
        while (i < n) {
            char ch = sql.charAt(i);
            if (backslashEscapes && ch == '\\' && i + 1 < n) {
                out.append(sql.charAt(i + 1));
                i += 2;
            } else if (ch == quote) {
                if (i + 1 < n && sql.charAt(i + 1) == quote) {
                    out.append(quote);
                    i += 2;
                } else {
                    return i + 1;
                }
            } else {
                out.append(ch);
                i++;
            }
        }
        return n;
    }

    /** The {@code $tag$} opening a dollar-quoted string at {@code i}, or null. */
    private static String dollarTag(String sql, int i) {
        int j = i + 1;
        if (j < sql.length() && Character.isDigit(sql.charAt(j))) {
            return null; // a parameter such as $1
        }
        while (j < sql.length() && isWordChar(sql.charAt(j))) {
            j++;
        }
        return j < sql.length() && sql.charAt(j) == '$' ? sql.substring(i, j + 1) : null;
    }

    private static boolean isWordChar(char ch) {
        return Character.isLetterOrDigit(ch) || ch == '_' || ch > 127;
    }

    private static final class Cursor {
        private final List<Token> tokens;
        private int pos;

        Cursor(List<Token> tokens) {
            this.tokens = tokens;
        }

        boolean atEnd() {
            return pos >= tokens.size();
        }

        void next() {
            pos++;
        }

        boolean accept(String keyword) {
            if (!atEnd() && tokens.get(pos).is(keyword)) {
                pos++;
                return true;
            }
            return false;
        }

        boolean peekSymbol(char symbol) {
            return !atEnd() && tokens.get(pos).isSymbol(symbol);
        }

        boolean acceptSymbol(char symbol) {
            if (peekSymbol(symbol)) {
                pos++;
                return true;
            }
            return false;
        }

        Optional<String> name() {
            if (!atEnd() && tokens.get(pos).isName()) {
                return Optional.of(tokens.get(pos++).name());
            }
            return Optional.empty();
        }

        /** {@code a.b.c}: its parts, or none when no name is here. */
        List<String> qualifiedName() {
            List<String> parts = new ArrayList<>(2);
            Optional<String> first = name();
            if (first.isEmpty()) {
                return parts;
            }
            parts.add(first.get());
            while (peekSymbol('.')
                    && pos + 1 < tokens.size()
                    && tokens.get(pos + 1).isName()) {
                pos++;
                parts.add(tokens.get(pos++).name());
            }
            return parts;
        }

        Optional<TableId> tableName() {
            List<String> parts = qualifiedName();
            return parts.size() == 2 ? Optional.of(new TableId(parts.get(0), parts.get(1))) : Optional.empty();
        }
    }
}
