package dev.sluice.pipeline.verify;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.verify.VerifyReport.ColumnResult;
import dev.sluice.pipeline.verify.VerifyReport.Mode;
import dev.sluice.pipeline.verify.VerifyReport.Status;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.OnError;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.Rules.ColumnRule;
import dev.sluice.transform.rules.Rules.TableRules;
import dev.sluice.transform.rules.SourceSchema;
import dev.sluice.transform.rules.TransformerRegistry;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * {@code sluice verify}: for every column the rules transform, checks that no source value reached
 * the target unchanged.
 *
 * <p>Both servers digest the column's values themselves ({@code md5} of a salt drawn for this run
 * and the value's text), group and sort the digests, and stream them here, where the two sorted
 * streams are merge-joined: memory stays at one fetch batch per side whatever the table size, no
 * raw value leaves either server, and nothing is written anywhere. The salt keeps the digests from
 * being looked up in a table of digests of known values.
 *
 * <p>When the table's primary key passes through unchanged, rows are compared by key: a value
 * counts only when the same row holds it on both sides ({@code md5} over the key and the value).
 * Otherwise values are compared as sets: a source value anywhere in the target's column counts,
 * which also catches values a transformer drew by chance from a small list (a fake first name that
 * happens to be some customer's real one).
 *
 * <p>NULLs are not compared. Array columns are compared element by element.
 */
public final class LeakCheck {

    private LeakCheck() {}

    /**
     * Checks every transformed column of the rules.
     *
     * @param tolerancePercent share of a column's values that may be found unchanged without it
     *     counting as a leak (for transformers that draw from small lists); 0 for none
     * @param progress receives a line per column as it is checked
     */
    public static VerifyReport run(
            PgUrl source,
            PgUrl target,
            Rules rules,
            SourceSchema schema,
            TransformerRegistry registry,
            double tolerancePercent,
            Consumer<String> progress) {
        byte[] saltBytes = new byte[16];
        SecureRandom random = new SecureRandom();
        random.nextBytes(saltBytes);
        String salt = HexFormat.of().formatHex(saltBytes);
        // Transformers are built only to ask what they declare; the key does not change that.
        byte[] throwaway = new byte[32];
        random.nextBytes(throwaway);
        Keyring keyring = Keyring.of(throwaway);
        List<ColumnResult> results = new ArrayList<>();
        List<String> passedThrough = new ArrayList<>();
        try (Connection src = connect(source, "source");
                Connection dst = connect(target, "target")) {
            List<TableRules> tables = rules.tables().stream()
                    .sorted((a, b) -> a.table().compareTo(b.table()))
                    .toList();
            for (TableRules t : tables) {
                Optional<SourceSchema.Table> table = schema.table(t.table());
                if (table.isEmpty()) {
                    continue;
                }
                for (SourceSchema.Column c : table.get().columns()) {
                    if (!t.columns().containsKey(c.name())) {
                        passedThrough.add(t.table() + "." + c.name());
                    }
                }
                List<String> key = rowKey(t, table.get());
                Set<String> targetColumns = targetColumns(dst, t.table());
                for (ColumnRule rule : t.columns().values()) {
                    Optional<SourceSchema.Column> column = table.get().column(rule.column());
                    if (rule.isNoop() || column.isEmpty()) {
                        continue;
                    }
                    ColumnResult r = column(src, dst, salt, t.table(), column.get(), rule, key, targetColumns);
                    r = r.withStatus(
                            status(r, keepsValues(rule, t.table(), column.get(), registry, keyring), tolerancePercent));
                    progress.accept(
                            r.table() + "." + r.column() + ": " + r.rows() + " value(s) checked, " + r.identical()
                                    + " unchanged in the target (" + r.status().word() + ")");
                    results.add(r);
                }
            }
            schema.tables().keySet().stream()
                    .filter(id -> rules.table(id).isEmpty())
                    .sorted()
                    .forEach(id -> passedThrough.add(id + " (no rules)"));
        } catch (SQLException e) {
            throw new SluiceException(
                    Reason.INTERNAL, "Comparing source and target failed: " + PgErrors.firstLine(e.getMessage()), e);
        }
        return new VerifyReport(results, passedThrough, tolerancePercent);
    }

    private static Connection connect(PgUrl url, String which) throws SQLException {
        try {
            Connection c = DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-verify"));
            try (var st = c.createStatement()) {
                st.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
            }
            return c;
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure(which, url, e);
            }
            throw e;
        }
    }

    /**
     * The primary key's columns when every one of them passes through unchanged, so a source row
     * and its target row can be matched by it; empty otherwise.
     */
    private static List<String> rowKey(TableRules rules, SourceSchema.Table table) {
        return table.uniqueIndexes().stream()
                .filter(SourceSchema.UniqueIndex::primary)
                .filter(i -> !i.hasExpressions() && !i.columns().isEmpty())
                .filter(i -> i.columns().stream().allMatch(c -> {
                    ColumnRule r = rules.columns().get(c);
                    return r == null || r.isNoop();
                }))
                .map(SourceSchema.UniqueIndex::columns)
                .findFirst()
                .orElse(List.of());
    }

    private static Set<String> targetColumns(Connection dst, TableId table) throws SQLException {
        Set<String> columns = new HashSet<>();
        try (PreparedStatement ps = dst.prepareStatement("SELECT a.attname FROM pg_attribute a"
                + " WHERE a.attrelid = to_regclass(?) AND a.attnum > 0 AND NOT a.attisdropped")) {
            ps.setString(1, table.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(rs.getString(1));
                }
            }
        }
        return columns;
    }

    private static ColumnResult column(
            Connection src,
            Connection dst,
            String salt,
            TableId table,
            SourceSchema.Column column,
            ColumnRule rule,
            List<String> key,
            Set<String> targetColumns)
            throws SQLException {
        String transformers = rule.steps().stream().map(Rules.Step::name).collect(Collectors.joining(" -> "));
        Mode mode = key.isEmpty() ? Mode.VALUE : Mode.ROW;
        List<String> missing = new ArrayList<>();
        for (String c : mode == Mode.ROW ? concat(key, column.name()) : List.of(column.name())) {
            if (!targetColumns.contains(c)) {
                missing.add(c);
            }
        }
        if (!missing.isEmpty()) {
            String note = targetColumns.isEmpty()
                    ? "table not on the target"
                    : "column(s) " + String.join(", ", missing) + " not on the target";
            return new ColumnResult(table, column.name(), transformers, mode, 0, 0, 0, 0, Status.SKIPPED, note);
        }
        try {
            return compare(src, dst, salt, table, column, key, transformers, mode);
        } catch (SQLException e) {
            throw new SluiceException(
                    "42501".equals(e.getSQLState()) ? Reason.PRIVILEGE : Reason.INTERNAL,
                    "Comparing " + table + "." + column.name() + " failed: " + PgErrors.firstLine(e.getMessage())
                            + ("42501".equals(e.getSQLState())
                                    ? ". verify needs SELECT on the transformed tables, on the source and the target."
                                    : ""),
                    e);
        }
    }

    private static ColumnResult compare(
            Connection src,
            Connection dst,
            String salt,
            TableId table,
            SourceSchema.Column column,
            List<String> key,
            String transformers,
            Mode mode)
            throws SQLException {
        String sql = digestQuery(table, column, key);
        long identical = 0;
        long identicalDistinct = 0;
        long rows;
        long targetRows;
        try (DigestStream s = new DigestStream(src, sql, salt);
                DigestStream t = new DigestStream(dst, sql, salt)) {
            while (s.digest() != null && t.digest() != null) {
                int cmp = DigestStream.compare(s.digest(), t.digest());
                if (cmp == 0) {
                    identical += s.count();
                    identicalDistinct++;
                    s.advance();
                    t.advance();
                } else if (cmp < 0) {
                    s.advance();
                } else {
                    t.advance();
                }
            }
            rows = s.drain();
            targetRows = t.drain();
        }
        return new ColumnResult(
                table, column.name(), transformers, mode, rows, targetRows, identical, identicalDistinct, null, null);
    }

    private static List<String> concat(List<String> a, String b) {
        List<String> all = new ArrayList<>(a);
        all.add(b);
        return all;
    }

    /**
     * {@code (digest, rows)} of the column's non-null values (array elements one by one), ordered by
     * digest; by row, the key's columns go into the digest too.
     */
    static String digestQuery(TableId table, SourceSchema.Column column, List<String> key) {
        boolean array = column.type().strip().endsWith("[]");
        String value = array ? "u.v" : "r." + TableId.quoteIdent(column.name());
        String digested = key.isEmpty()
                ? value + "::text"
                : "ROW(" + key.stream().map(k -> "r." + TableId.quoteIdent(k)).collect(Collectors.joining(", ")) + ", "
                        + value + ")::text";
        return "SELECT decode(md5(?::text || " + digested + "), 'hex') AS d, count(*) FROM " + table.quoted() + " r"
                + (array ? ", LATERAL unnest(r." + TableId.quoteIdent(column.name()) + ") AS u(v)" : "")
                + " WHERE " + value + " IS NOT NULL GROUP BY 1 ORDER BY 1";
    }

    /**
     * Whether the column's rule keeps some values unchanged by design: a transformer that declares
     * it, or {@code on_error: pass-through}.
     */
    private static boolean keepsValues(
            ColumnRule rule, TableId table, SourceSchema.Column column, TransformerRegistry registry, Keyring keyring) {
        if (rule.onError() == OnError.PASS_THROUGH) {
            return true;
        }
        for (Rules.Step step : rule.steps()) {
            Optional<TransformerFactory> factory = registry.find(step.name());
            if (factory.isEmpty() || !step.dynamicParameters().isEmpty()) {
                continue;
            }
            try {
                Transformer t = factory.get()
                        .create(new TransformerContext(
                                table + "." + column.name(),
                                column.type(),
                                new Parameters("verify", step.name(), step.parameters()),
                                keyring.domain(step.domain())));
                if (t != null && t.mayKeepValues()) {
                    return true;
                }
            } catch (RuntimeException e) {
                // Compiled before; a factory that fails now declares nothing.
            }
        }
        return false;
    }

    private static Status status(ColumnResult r, boolean keepsValues, double tolerancePercent) {
        if (r.status() == Status.SKIPPED) {
            return Status.SKIPPED;
        }
        if (r.identical() == 0) {
            return Status.OK;
        }
        if (keepsValues) {
            return Status.KEPT_BY_RULE;
        }
        if (r.identical() * 100.0 <= tolerancePercent * r.rows()) {
            return Status.TOLERATED;
        }
        return Status.LEAK;
    }
}
