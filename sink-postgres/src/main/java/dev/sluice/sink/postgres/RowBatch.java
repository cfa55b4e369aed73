package dev.sluice.sink.postgres;

import dev.sluice.core.event.Tuple;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A run of consecutive changes of one kind and shape to one table, written in one round trip.
 *
 * <p>Source order is kept by flushing whenever the next change does not fit the run, so a batch
 * never reorders changes. Inserts go through {@code COPY} once a run is long enough to pay for it;
 * updates and deletes through one pipelined JDBC batch.
 */
final class RowBatch {

    /** Below this many rows, a prepared batch beats setting up a COPY. */
    private static final int COPY_THRESHOLD = 16;

    enum Kind {
        INSERT,
        UPDATE,
        DELETE
    }

    private final Connection conn;
    private final Map<String, PreparedStatement> statements = new HashMap<>();
    private final List<Tuple> values = new ArrayList<>();
    private final List<Tuple> identities = new ArrayList<>();
    private TablePlan plan;
    private Kind kind;
    private TablePlan.Shape shape;
    private String lastFlushed;

    RowBatch(Connection conn) {
        this.conn = conn;
    }

    /** Whether a change fits the run in progress (an empty batch takes anything). */
    boolean fits(TablePlan plan, Kind kind, TablePlan.Shape shape) {
        return values.isEmpty() || (this.plan == plan && this.kind == kind && Objects.equals(this.shape, shape));
    }

    void add(TablePlan plan, Kind kind, TablePlan.Shape shape, Tuple value, Tuple identity) {
        this.plan = plan;
        this.kind = kind;
        this.shape = shape;
        values.add(value);
        identities.add(identity);
    }

    /** Drops the run without writing it, after the transaction it belonged to was rolled back. */
    void clear() {
        values.clear();
        identities.clear();
    }

    /**
     * Writes the run and empties the batch.
     *
     * @return how many updates or deletes found no row to change on the target
     */
    int flush() throws SQLException {
        if (values.isEmpty()) {
            return 0;
        }
        lastFlushed = kind.name().toLowerCase() + " of " + values.size() + " row(s) in "
                + plan.relation().table();
        try {
            return switch (kind) {
                case INSERT -> {
                    if (values.size() >= COPY_THRESHOLD) {
                        copy();
                    } else {
                        insert();
                    }
                    yield 0;
                }
                case UPDATE, DELETE -> updateOrDelete();
            };
        } finally {
            values.clear();
            identities.clear();
        }
    }

    /**
     * Describes the run last written (or being written) since {@link #forgetLastFlush}, for error
     * messages, without any values.
     */
    Optional<String> describeLastFlush() {
        return Optional.ofNullable(lastFlushed);
    }

    /** A new unit begins: a failure in it must not be described by a run of the one before. */
    void forgetLastFlush() {
        lastFlushed = null;
    }

    private void copy() throws SQLException {
        CopyText.copy(conn, plan.copySql(), values, plan.allColumns());
    }

    private void insert() throws SQLException {
        PreparedStatement ps = statement(plan.insertSql());
        for (Tuple row : values) {
            for (int i = 0; i < row.size(); i++) {
                ps.setString(i + 1, row.get(i));
            }
            ps.addBatch();
        }
        ps.executeBatch();
    }

    private int updateOrDelete() throws SQLException {
        PreparedStatement ps = statement(plan.sql(shape));
        BitSet set = shape.set();
        BitSet where = shape.where();
        for (int r = 0; r < values.size(); r++) {
            int param = 1;
            if (kind == Kind.UPDATE) {
                Tuple row = values.get(r);
                for (int i = set.nextSetBit(0); i >= 0; i = set.nextSetBit(i + 1)) {
                    ps.setString(param++, row.get(i));
                }
            }
            Tuple identity = identities.get(r);
            for (int i = where.nextSetBit(0); i >= 0; i = where.nextSetBit(i + 1)) {
                ps.setString(param++, identity.get(i));
            }
            ps.addBatch();
        }
        int missing = 0;
        for (int count : ps.executeBatch()) {
            if (count == 0) {
                missing++;
            }
        }
        return missing;
    }

    private PreparedStatement statement(String sql) throws SQLException {
        PreparedStatement ps = statements.get(sql);
        if (ps == null) {
            ps = conn.prepareStatement(sql);
            statements.put(sql, ps);
        }
        return ps;
    }

    /** Drops cached statements, for example after the target's schema changed. */
    void closeStatements() {
        for (PreparedStatement ps : statements.values()) {
            try {
                ps.close();
            } catch (SQLException ignored) {
                // The connection is going away or already gone; nothing to release.
            }
        }
        statements.clear();
    }
}
