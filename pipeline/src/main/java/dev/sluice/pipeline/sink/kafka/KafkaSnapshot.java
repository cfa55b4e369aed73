package dev.sluice.pipeline.sink.kafka;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.Lsn;
import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import dev.sluice.core.event.ChangeEvent.Begin;
import dev.sluice.core.event.ChangeEvent.Commit;
import dev.sluice.core.event.ChangeEvent.Insert;
import dev.sluice.core.event.ChangeEvent.RowChange;
import dev.sluice.core.event.ChangeEvent.SchemaChange;
import dev.sluice.core.event.DdlCommand;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Tuple;
import dev.sluice.core.spi.Processor;
import dev.sluice.snapshot.ExportedSnapshot;
import dev.sluice.snapshot.SchemaCopier;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the initial copy into the topic: the selected tables' schema and rows as of the slot's
 * consistent point, as one source transaction that ends exactly where streaming starts.
 *
 * <p>The copy is a transaction committed at the position just before the consistent point and
 * ending at it: the schema (pg_dump's pre-data section) as a schema change, every row as an insert
 * that went through the processors (so anonymized like streamed rows), then indexes and constraints
 * (post-data). A consumer applies it with the PostgreSQL sink like any transaction, atomically, and
 * records the consistent point as its position. It goes out in one Kafka transaction, so a crash
 * leaves no partial copy in the topic. A sink publishing sequences ({@link KafkaSink#withSequences})
 * adds the source's sequence values to that transaction, after the copy's commit.
 */
public final class KafkaSnapshot {

    private static final Logger log = LoggerFactory.getLogger(KafkaSnapshot.class);

    private final PgUrl sourceUrl;
    private final SchemaCopier schema;
    private final List<Processor> processors;

    /**
     * @param schema dumps the schema of the selected tables
     * @param processors run over every row, as over streamed rows
     */
    public KafkaSnapshot(PgUrl sourceUrl, SchemaCopier schema, List<Processor> processors) {
        this.sourceUrl = sourceUrl;
        this.schema = schema;
        this.processors = List.copyOf(processors);
    }

    /** Publishes schema and rows of {@code tables} under {@code snapshot} through a started {@code sink}. */
    public void publish(ExportedSnapshot snapshot, List<TableId> tables, KafkaSink sink) {
        Lsn point = snapshot.consistentPoint();
        Lsn commitLsn = new Lsn(point.value() - 1);
        Instant now = Instant.now();
        sink.beginSnapshot(new Begin(0, commitLsn, now));
        sink.accept(new SchemaChange(commitLsn, command("SNAPSHOT SCHEMA", schema.script(true, snapshot.name()))));
        long rows = 0;
        try (Connection conn = DriverManager.getConnection(
                sourceUrl.jdbcUrl(), sourceUrl.sessionProperties("sluice-kafka-snapshot"))) {
            conn.setAutoCommit(false);
            try (Statement st = conn.createStatement()) {
                st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                st.execute("SET TRANSACTION SNAPSHOT '" + snapshot.name().replace("'", "''") + "'");
            }
            for (TableId table : tables) {
                Relation relation = relation(conn, table);
                rows += copy(conn, relation, partitioned(conn, relation), sink);
            }
            conn.rollback();
        } catch (SQLException e) {
            if (PgErrors.isConnectionFailure(e)) {
                throw PgErrors.connectFailure("source", sourceUrl, e);
            }
            throw new SluiceException(
                    Reason.SOURCE_NOT_READY,
                    "Reading the initial copy from " + sourceUrl + " failed: " + PgErrors.firstLine(e.getMessage()),
                    e);
        }
        sink.accept(new SchemaChange(commitLsn, command("SNAPSHOT POST-DATA", schema.script(false, snapshot.name()))));
        sink.accept(new Commit(commitLsn, point, now));
        log.info("Published the initial copy as of {}: {} table(s), {} rows", point, tables.size(), rows);
    }

    private static DdlCommand command(String tag, String script) {
        return new DdlCommand(tag, Optional.of(script), "", List.of(), List.of(), Optional.empty());
    }

    /** The table as pgoutput would describe it: columns it sends (no generated ones), replica identity as key. */
    private static Relation relation(Connection conn, TableId table) throws SQLException {
        int oid;
        char identity;
        try (PreparedStatement ps = conn.prepareStatement(
                "SELECT c.oid, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        + " WHERE n.nspname = ? AND c.relname = ?")) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new SQLException("table " + table + " is gone");
                }
                oid = rs.getInt(1);
                identity = rs.getString(2).charAt(0);
            }
        }
        List<Relation.Column> columns = new ArrayList<>();
        try (PreparedStatement ps = conn.prepareStatement("SELECT a.attname, a.atttypid, a.atttypmod,"
                + " CASE WHEN c.relreplident = 'f' THEN true"
                + " ELSE EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND a.attnum = ANY(i.indkey)"
                + " AND CASE WHEN c.relreplident = 'i' THEN i.indisreplident ELSE i.indisprimary END) END"
                + " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid"
                + " WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''"
                + " ORDER BY a.attnum")) {
            ps.setInt(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    columns.add(new Relation.Column(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getBoolean(4)));
                }
            }
        }
        return new Relation(oid, table, Relation.ReplicaIdentity.fromCode(identity), columns);
    }

    /** Whether the table is partitioned: its rows are in its partitions, which the copy reads through it. */
    private static boolean partitioned(Connection conn, Relation relation) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement("SELECT relkind = 'p' FROM pg_class WHERE oid = ?")) {
            ps.setInt(1, relation.oid());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    private long copy(Connection conn, Relation relation, boolean partitioned, KafkaSink sink) throws SQLException {
        StringBuilder select = new StringBuilder("COPY (SELECT ");
        for (int i = 0; i < relation.columnCount(); i++) {
            select.append(i == 0 ? "" : ", ")
                    .append(TableId.quoteIdent(relation.column(i).name()));
        }
        // ONLY: an inheritance child is a table of its own; a partitioned table holds no rows but its partitions'.
        select.append(partitioned ? " FROM " : " FROM ONLY ")
                .append(relation.table().quoted())
                .append(") TO STDOUT");
        CopyOut out = conn.unwrap(PGConnection.class).getCopyAPI().copyOut(select.toString());
        long rows = 0;
        byte[] line;
        while ((line = out.readFromCopy()) != null) {
            int length = line.length > 0 && line[line.length - 1] == '\n' ? line.length - 1 : line.length;
            String text = new String(line, 0, length, StandardCharsets.UTF_8);
            RowChange change = new Insert(relation, Tuple.wrap(CopyFormat.parseLine(text, relation.columnCount())));
            for (int i = 0; i < processors.size() && change != null; i++) {
                change = processors.get(i).process(change);
            }
            if (change != null) {
                sink.accept(change);
                rows++;
            }
        }
        return rows;
    }
}
