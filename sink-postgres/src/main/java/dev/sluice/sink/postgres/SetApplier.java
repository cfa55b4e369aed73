package dev.sluice.sink.postgres;

import dev.sluice.core.event.Tuple;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link ConflatedTable} set-wise: removed and replaced rows with one {@code DELETE ...
 * USING} a stage, changed rows with one {@code UPDATE ... FROM} a stage per column shape, new rows
 * with {@code COPY} straight into the table. Deletes go first so that a replaced key is free when
 * its new image arrives, and updates before inserts so that a value moved from one row to another
 * has left the first row when the second is written.
 */
final class SetApplier {

    private final Connection conn;

    SetApplier(Connection conn) {
        this.conn = conn;
    }

    /**
     * Applies and empties the table's changes.
     *
     * @return how many deletes and updates found no row to change on the target
     */
    int apply(ConflatedTable table) throws SQLException {
        TablePlan plan = table.plan();
        int missing = 0;
        List<Tuple> deletes = table.keysToDelete();
        if (!deletes.isEmpty()) {
            prepareStage(plan);
            CopyText.copy(conn, plan.copyStageSql(plan.keyColumns()), deletes, plan.keyColumns());
            missing += deletes.size() - execute(plan.deleteStagedSql());
        }
        for (Map.Entry<BitSet, List<Tuple>> shape : table.updatesByShape().entrySet()) {
            BitSet set = plan.settable(shape.getKey());
            if (set.isEmpty()) {
                continue;
            }
            int[] staged = shape.getKey().stream().toArray();
            prepareStage(plan);
            CopyText.copy(conn, plan.copyStageSql(staged), shape.getValue(), staged);
            missing += shape.getValue().size() - execute(plan.updateStagedSql(set));
        }
        List<Tuple> images = table.imagesToWrite();
        if (!images.isEmpty()) {
            CopyText.copy(conn, plan.copySql(), images, plan.allColumns());
        }
        table.clear();
        return missing;
    }

    private void prepareStage(TablePlan plan) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(plan.prepareStageSql());
        }
    }

    private int execute(String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            return st.executeUpdate(sql);
        }
    }
}
