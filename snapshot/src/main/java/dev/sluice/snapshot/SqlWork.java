package dev.sluice.snapshot;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Work done on an open target connection inside a transaction someone else commits: what it writes
 * commits, or rolls back, together with the caller's own work.
 */
@FunctionalInterface
public interface SqlWork {

    void run(Connection conn) throws SQLException;
}
