package dev.sluice.testing;

import dev.sluice.core.PgUrl;
import dev.sluice.core.TableId;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test server shared by every test of a JVM; see {@link TestPostgres}. Tests must not stop it or
 * change server-wide settings; each works in its own database from {@link #createDatabase()}.
 */
public final class PgServer {

    private final LocalPostgres postgres;
    private final Path home;
    private final AtomicInteger databases = new AtomicInteger();

    PgServer(LocalPostgres postgres, Path home) {
        this.postgres = postgres;
        this.home = home;
    }

    /** The running server underneath, for its port, credentials and binaries. */
    public LocalPostgres postgres() {
        return postgres;
    }

    public int majorVersion() {
        return postgres.majorVersion();
    }

    /** A superuser URL for {@code database}. */
    public PgUrl url(String database) {
        return postgres.url(database);
    }

    /** A new superuser connection to {@code database}; the caller closes it. */
    public Connection connect(String database) throws SQLException {
        return postgres.jdbcConnection(database);
    }

    /** A new, empty database with a unique name; closing it drops it. */
    public TestDatabase createDatabase() {
        String name = "test_" + databases.incrementAndGet();
        try (Connection admin = connect("postgres");
                Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + TableId.quoteIdent(name));
        } catch (SQLException e) {
            throw TestDatabase.failure("CREATE DATABASE " + name + " on " + postgres, e);
        }
        return new TestDatabase(this, name);
    }

    void stopAndDelete() {
        postgres.close();
        FileTrees.deleteQuietly(home);
    }

    @Override
    public String toString() {
        return postgres.toString();
    }
}
