package dev.sluice.testing;

import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A database of its own for one test, on a shared {@link PgServer}; {@link #close()} drops it.
 *
 * <p>The helpers ({@link #execute}, {@link #queryForString}, ...) share one autocommit connection, so
 * session state such as {@code SET search_path} carries over between calls. They throw {@link
 * IllegalStateException} with the SQL and the SQLSTATE in the message, so tests need no {@code
 * throws SQLException}. Thread-safe.
 */
public final class TestDatabase implements AutoCloseable {

    private final PgServer server;
    private final String name;
    private Connection helperConnection;
    private boolean closed;

    TestDatabase(PgServer server, String name) {
        this.server = server;
        this.name = name;
    }

    public String name() {
        return name;
    }

    public PgServer server() {
        return server;
    }

    /** A superuser URL for this database, with the password in it. */
    public PgUrl url() {
        return server.url(name);
    }

    /** A new superuser connection to this database; the caller closes it. */
    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** Runs each statement in turn, each committed on its own. */
    public synchronized void execute(String... sql) {
        for (String statement : sql) {
            try (Statement s = helper().createStatement()) {
                s.execute(statement);
            } catch (SQLException e) {
                throw failure(statement, e);
            }
        }
    }

    /** The first column of the first row as text, or null when it is NULL or there are no rows. */
    public synchronized String queryForString(String sql) {
        List<String> rows = queryForList(sql);
        return rows.isEmpty() ? null : rows.get(0);
    }

    /** The first column of every row, as text. */
    public synchronized List<String> queryForList(String sql) {
        try (Statement s = helper().createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            return values;
        } catch (SQLException e) {
            throw failure(sql, e);
        }
    }

    /**
     * An md5 over the text form of every row, sorted, so that two tables with the same rows have the
     * same checksum in whatever order the rows were written. Sorting uses the C collation: source and
     * target may be different servers with different default collations. An empty table has the md5
     * of the empty string.
     *
     * @param qualifiedTable as it goes into SQL, e.g. {@code public.users} or {@code "Odd"."Name"}
     */
    public String tableChecksum(String qualifiedTable) {
        return queryForString("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE \"C\"), ''))"
                + " FROM " + qualifiedTable + " t");
    }

    /**
     * Drops the database, ending its sessions first ({@code WITH (FORCE)} from PostgreSQL 13). Fails
     * when a replication slot still uses it: a test that creates a slot drops it too.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (helperConnection != null) {
                helperConnection.close();
            }
        } catch (SQLException e) {
            // The drop below ends the session anyway.
        }
        String quoted = TableId.quoteIdent(name);
        try (Connection admin = server.connect("postgres");
                Statement s = admin.createStatement()) {
            if (server.majorVersion() >= 13) {
                s.execute("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)");
            } else {
                s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity" + " WHERE datname = '" + name
                        + "' AND pid <> pg_backend_pid()");
                s.execute("DROP DATABASE IF EXISTS " + quoted);
            }
        } catch (SQLException e) {
            throw failure("DROP DATABASE " + name, e);
        }
    }

    @Override
    public String toString() {
        return name + " on " + server;
    }

    private Connection helper() throws SQLException {
        if (closed) {
            throw new IllegalStateException("database " + name + " is closed");
        }
        if (helperConnection == null || helperConnection.isClosed()) {
            helperConnection = connect();
        }
        return helperConnection;
    }

    static IllegalStateException failure(String sql, SQLException e) {
        return new IllegalStateException(
                "SQL failed [SQLSTATE " + e.getSQLState() + "]: " + e.getMessage() + "\n  in: " + sql, e);
    }
}
