package dev.sluice.pipeline.scan;

import dev.sluice.core.TableId;
import dev.sluice.pipeline.scan.Proposals.Proposal;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a scan found: per table how it was sampled, per column the proposed transformer and why.
 *
 * @param source the source's URL, password masked
 * @param tables the {@code source.tables} filter the scan followed, as text
 */
public record ScanResult(String source, String filter, int sampleRows, List<TableScan> tables) {

    public ScanResult {
        tables = List.copyOf(tables);
    }

    /** One table: how many rows were sampled, and how. */
    record TableScan(TableId id, SampleReader.Sample sample, List<ColumnScan> columns) {}

    /**
     * One column's proposal.
     *
     * @param comment why the column was flagged (or what deserves a look), {@code null} when nothing
     */
    record ColumnScan(String name, String type, Proposal proposal, String comment) {}

    /** The proposed rules file. */
    public String yaml() {
        return RulesWriter.write(this);
    }

    /** Columns replicated, and how many of them the file transforms, by transformer. */
    public String summary() {
        int columns = 0;
        int transformed = 0;
        int review = 0;
        Map<String, Integer> byTransformer = new TreeMap<>();
        for (TableScan t : tables) {
            for (ColumnScan c : t.columns()) {
                columns++;
                if (!c.proposal().isNoop()) {
                    transformed++;
                    byTransformer.merge(c.proposal().transformer(), 1, Integer::sum);
                }
                if (c.comment() != null
                        && (c.comment().startsWith("review:") || c.comment().contains("REVIEW:"))) {
                    review++;
                }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(tables.size())
                .append(" table(s), ")
                .append(columns)
                .append(" column(s): ")
                .append(transformed)
                .append(" transformed, ")
                .append(columns - transformed)
                .append(" noop");
        if (!byTransformer.isEmpty()) {
            b.append(" (");
            boolean first = true;
            for (Map.Entry<String, Integer> e : byTransformer.entrySet()) {
                b.append(first ? "" : ", ").append(e.getKey()).append(" x").append(e.getValue());
                first = false;
            }
            b.append(")");
        }
        if (review > 0) {
            b.append("; ").append(review).append(" column(s) marked for review");
        }
        return b.toString();
    }
}
