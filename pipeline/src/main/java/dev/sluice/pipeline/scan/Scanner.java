package dev.sluice.pipeline.scan;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.scan.Classifier.Finding;
import dev.sluice.pipeline.scan.Classifier.PathFinding;
import dev.sluice.pipeline.scan.Proposals.Proposal;
import dev.sluice.pipeline.scan.SampleReader.ForeignKey;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.transform.rules.SourceSchema;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code sluice scan}: samples every replicated column of the source, classifies it by name and by
 * content, and proposes a strict rules file with a transformer for each column holding personal
 * data and {@code noop} for the rest. Reads only; nothing is written to the source, and sampled
 * values are counted, never kept or printed.
 */
public final class Scanner {

    /** Rows sampled per table unless told otherwise. */
    public static final int DEFAULT_SAMPLE_ROWS = 1000;

    private Scanner() {}

    /** A column reference, for foreign keys. */
    private record Ref(TableId table, String column) {
        @Override
        public String toString() {
            return table + "(" + column + ")";
        }
    }

    /** One column's outcome while the scan runs. */
    private static final class Column {
        final String name;
        final ColumnType type;
        final ColumnProfile profile;
        final boolean unique;
        final String uniqueIndex;
        Finding finding = Finding.none();
        Proposal proposal = Proposal.NOOP;
        final List<String> notes = new ArrayList<>();

        Column(String name, ColumnType type, boolean unique, String uniqueIndex) {
            this.name = name;
            this.type = type;
            this.profile = new ColumnProfile(type);
            this.unique = unique;
            this.uniqueIndex = uniqueIndex;
        }
    }

    /**
     * Scans the tables {@code filter} selects.
     *
     * @param sampleRows rows sampled per table at most
     * @param progress receives a line per table as it is sampled
     */
    public static ScanResult scan(PgUrl url, TableFilter filter, int sampleRows, Consumer<String> progress) {
        SourceSchema schema = SourceSchemaReader.read(url, filter);
        try (Connection conn = DriverManager.getConnection(url.jdbcUrl(), url.sessionProperties("sluice-scan"))) {
            SampleReader reader = new SampleReader(conn);
            Map<TableId, Map<String, ColumnType>> types = reader.types();
            List<ForeignKey> foreignKeys = reader.foreignKeys();
            Map<Ref, Boolean> keys = new HashMap<>();
            for (ForeignKey fk : foreignKeys) {
                keys.put(new Ref(fk.child(), fk.childColumn()), true);
                keys.put(new Ref(fk.parent(), fk.parentColumn()), true);
            }
            Map<TableId, Map<String, Column>> tables = new LinkedHashMap<>();
            List<ScanResult.TableScan> results = new ArrayList<>();
            Map<TableId, SampleReader.Sample> samples = new HashMap<>();
            for (SourceSchema.Table table : schema.tables().values().stream()
                    .sorted((a, b) -> a.id().compareTo(b.id()))
                    .toList()) {
                Map<String, Column> columns = new LinkedHashMap<>();
                for (SourceSchema.Column c : table.columns()) {
                    ColumnType type = Optional.ofNullable(types.get(table.id()))
                            .map(m -> m.get(c.name()))
                            .orElse(new ColumnType(c.type(), ColumnType.Category.OTHER, false, -1));
                    String index = table.uniqueIndexes().stream()
                            .filter(i -> i.columns().contains(c.name()))
                            .map(SourceSchema.UniqueIndex::describe)
                            .findFirst()
                            .orElse(null);
                    columns.put(c.name(), new Column(c.name(), type, index != null, index));
                    if (table.uniqueIndexes().stream()
                            .anyMatch(i -> i.primary() && i.columns().contains(c.name()))) {
                        keys.put(new Ref(table.id(), c.name()), true);
                    }
                }
                Map<String, ColumnProfile> sampled = new LinkedHashMap<>();
                columns.values().stream().filter(c -> c.type.sampled()).forEach(c -> sampled.put(c.name, c.profile));
                SampleReader.Sample sample = reader.sample(table.id(), sampled, sampleRows);
                samples.put(table.id(), sample);
                progress.accept(table.id() + ": " + sample.rows() + " rows sampled (" + sample.method() + ")");
                for (Column c : columns.values()) {
                    boolean key = keys.containsKey(new Ref(table.id(), c.name));
                    c.finding = Classifier.classify(table.id().name(), c.name, c.type, key, c.profile);
                    propose(c);
                }
                tables.put(table.id(), columns);
            }
            unifyForeignKeys(tables, foreignKeys);
            for (Map.Entry<TableId, Map<String, Column>> t : tables.entrySet()) {
                List<ScanResult.ColumnScan> columns = new ArrayList<>();
                for (Column c : t.getValue().values()) {
                    columns.add(new ScanResult.ColumnScan(c.name, c.type.declared(), c.proposal, comment(c)));
                }
                results.add(new ScanResult.TableScan(t.getKey(), samples.get(t.getKey()), columns));
            }
            return new ScanResult(url.toString(), filter.toString(), sampleRows, results);
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("source", url, e);
            }
            throw new SluiceException(
                    "42501".equals(e.getSQLState()) ? Reason.PRIVILEGE : Reason.INTERNAL,
                    "Sampling the source " + url + " failed: " + PgErrors.firstLine(e.getMessage())
                            + ("42501".equals(e.getSQLState())
                                    ? ". The scan needs SELECT on every replicated table (or narrow them with"
                                            + " --tables)."
                                    : ""),
                    e);
        }
    }

    /** The proposal for a classified column, with notes on why it is not the obvious one. */
    private static void propose(Column c) {
        Finding f = c.finding;
        if (!f.flagged()) {
            c.proposal = Proposal.NOOP;
            return;
        }
        if (f.kind() == PiiKind.JSON) {
            c.proposal = json(f, c.notes);
            return;
        }
        List<String> notes = new ArrayList<>();
        Optional<Proposal> p = Proposals.propose(f.kind(), c.type, c.unique, c.profile, notes);
        if (p.isEmpty()) {
            c.notes.add("REVIEW: no transformer fits type " + c.type.declared() + "; left as noop");
            c.proposal = Proposal.NOOP;
            return;
        }
        c.proposal = p.get();
        if (c.unique) {
            c.notes.add(c.uniqueIndex + ": " + c.proposal.transformer() + " keeps values distinct");
        }
        c.notes.addAll(notes);
    }

    /** The {@code json} transformer with one {@code transform} operation per path holding personal data. */
    private static Proposal json(Finding f, List<String> notes) {
        List<Object> operations = new ArrayList<>();
        for (PathFinding path : f.paths()) {
            ColumnType leaf = path.profile().type();
            Optional<Proposal> p = Proposals.propose(path.kind(), leaf, false, path.profile(), new ArrayList<>());
            if (p.isEmpty() || p.get().isNoop()) {
                notes.add("REVIEW: no transformer for " + path.path());
                continue;
            }
            Map<String, Object> transformer = new LinkedHashMap<>();
            transformer.put("name", p.get().transformer());
            if (!p.get().parameters().isEmpty()) {
                transformer.put("parameters", p.get().parameters());
            }
            Map<String, Object> op = new LinkedHashMap<>();
            op.put("operation", "transform");
            op.put("path", path.path());
            op.put("transformer", transformer);
            operations.add(op);
        }
        if (operations.isEmpty()) {
            return Proposal.NOOP;
        }
        return new Proposal("json", Map.of("operations", operations));
    }

    /**
     * Makes both ends of every foreign key take the same transformer, so that a transformed key
     * still finds its row: the referenced column's, or, when only the referencing column holds
     * personal data, a collision-free one for both (the referenced column is unique).
     */
    private static void unifyForeignKeys(Map<TableId, Map<String, Column>> tables, List<ForeignKey> foreignKeys) {
        for (int round = 0; round < 8; round++) {
            boolean changed = false;
            for (ForeignKey fk : foreignKeys) {
                Column child = column(tables, fk.child(), fk.childColumn());
                Column parent = column(tables, fk.parent(), fk.parentColumn());
                if (child == null || parent == null) {
                    continue;
                }
                Ref parentRef = new Ref(fk.parent(), fk.parentColumn());
                if (parent.proposal.isNoop() && !child.proposal.isNoop()) {
                    PiiKind kind = child.finding.kind();
                    Optional<Proposal> p = kind == null || kind == PiiKind.JSON
                            ? Optional.empty()
                            : Proposals.propose(kind, parent.type, true, parent.profile, parent.notes);
                    if (p.isEmpty()) {
                        child.notes.add("REVIEW: references " + parentRef + ", which has no transformer for "
                                + kind.plural + "; both left as noop so the key still matches");
                        child.proposal = Proposal.NOOP;
                    } else {
                        parent.finding = child.finding;
                        parent.proposal = p.get();
                        parent.notes.add("referenced by " + new Ref(fk.child(), fk.childColumn()) + ", which holds "
                                + kind.plural + ": the same collision-free transformer on both");
                    }
                    changed = true;
                }
                if (!parent.proposal.equals(child.proposal)) {
                    child.proposal = parent.proposal;
                    child.notes.add("references " + parentRef + ": the same transformer, so the key still matches");
                    changed = true;
                }
            }
            if (!changed) {
                return;
            }
        }
    }

    private static Column column(Map<TableId, Map<String, Column>> tables, TableId table, String column) {
        Map<String, Column> t = tables.get(table);
        return t == null ? null : t.get(column);
    }

    /** The comment above a column in the file, or {@code null} for a plain noop. */
    private static String comment(Column c) {
        List<String> parts = new ArrayList<>();
        if (c.finding.flagged()) {
            parts.add(c.finding.reason());
        } else if (c.finding.review() != null) {
            parts.add("review: " + c.finding.review());
        }
        parts.addAll(c.notes);
        return parts.isEmpty() ? null : String.join("; ", parts);
    }
}
