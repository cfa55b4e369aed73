package dev.sluice.sink.postgres;

import dev.sluice.core.CopyFormat;
import dev.sluice.core.event.Tuple;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/** Streams rows to {@code COPY ... FROM STDIN} in PostgreSQL's text format, in chunks. */
final class CopyText {

    private static final int CHUNK_CHARS = 1 << 16;

    private CopyText() {}

    /**
     * Copies the given columns of each row, in that order, with the statement {@code sql}.
     *
     * @return rows copied
     */
    static long copy(Connection conn, String sql, List<Tuple> rows, int[] columns) throws SQLException {
        CopyIn copy = conn.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
        try {
            StringBuilder text = new StringBuilder(CHUNK_CHARS + 1024);
            for (Tuple row : rows) {
                CopyFormat.appendRow(text, row, columns);
                if (text.length() >= CHUNK_CHARS) {
                    write(copy, text);
                }
            }
            write(copy, text);
            return copy.endCopy();
        } finally {
            if (copy.isActive()) {
                copy.cancelCopy();
            }
        }
    }

    private static void write(CopyIn copy, StringBuilder text) throws SQLException {
        if (text.isEmpty()) {
            return;
        }
        byte[] chunk = text.toString().getBytes(StandardCharsets.UTF_8);
        copy.writeToCopy(chunk, 0, chunk.length);
        text.setLength(0);
    }
}
