package dev.sluice.branching;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import org.postgresql.PGConnection;

/**
 * The store's {@code main}: the PostgreSQL instance the pipeline writes the anonymized replica into,
 * in {@code main/data}, with one application database. Users get no write access to it: besides the
 * superuser (for the pipeline) it has only a read-only login, {@value #READER_ROLE}.
 */
final class MainServer implements AutoCloseable {

    /**
     * main's WAL segment size in MB (PostgreSQL's default is 16). Every branch ends two of main's
     * segments early ({@code pg_backup_start} and {@code pg_backup_stop} each switch segments), and
     * PostgreSQL writes out the rest of a switched segment: with 16 MB segments a branch would cost
     * up to 32 MB of main's WAL, with 1 MB segments at most 2 MB.
     */
    static final int WAL_SEGMENT_MB = 1;

    /** main's read-only login; branches drop it. */
    static final String READER_ROLE = "sluice_reader";

    /**
     * What main keeps across restarts, in {@code main/main.json} (owner-only).
     *
     * @param createdAt ISO-8601
     */
    record State(String database, String createdAt, String readerPassword) {}

    private final LocalPostgres postgres;
    private final State state;

    private MainServer(LocalPostgres postgres, State state) {
        this.postgres = postgres;
        this.state = state;
    }

    /**
     * Starts main (creating it on first use) with {@code settings} on top of the defaults, and makes
     * sure its database and reader role exist.
     */
    static MainServer start(
            Path directory, StoreOptions options, Map<String, String> settings, PostgresBinaries binaries) {
        Path stateFile = directory.resolve("main.json");
        State state = JsonFiles.read(stateFile, State.class).orElse(null);
        if (state != null && !state.database().equals(options.database())) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    "the store in " + directory.getParent() + " serves database '" + state.database() + "', but '"
                            + options.database() + "' was asked for: use the store's database or another store");
        }
        try {
            PrivateDirectories.create(directory);
        } catch (java.io.IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not create " + directory + ": " + e, e);
        }
        if (state == null) {
            state = new State(options.database(), options.clock().instant().toString(), Passwords.generate());
            JsonFiles.write(stateFile, state);
        }
        LocalPostgres postgres = LocalPostgres.builder(directory.resolve("data"))
                .binaries(binaries)
                .initdbOption("--wal-segsize=" + WAL_SEGMENT_MB)
                .settings(settings)
                .logFile(directory.resolve("server.log"))
                .start();
        try {
            prepare(postgres, state);
        } catch (RuntimeException e) {
            postgres.stop();
            throw e;
        }
        return new MainServer(postgres, state);
    }

    LocalPostgres postgres() {
        return postgres;
    }

    Instant createdAt() {
        return Instant.parse(state.createdAt());
    }

    /** The superuser's URL of the application database: what the pipeline writes through. */
    PgUrl writerUrl() {
        return postgres.url(state.database());
    }

    /** The read-only login's URL of the application database. */
    PgUrl readerUrl() {
        return postgres.url(state.database()).withCredentials(READER_ROLE, state.readerPassword());
    }

    @Override
    public void close() {
        postgres.stop();
    }

    private static void prepare(LocalPostgres postgres, State state) {
        String db = TableId.quoteIdent(state.database());
        String reader = TableId.quoteIdent(READER_ROLE);
        try (Connection c = postgres.jdbcConnection("postgres");
                Statement s = c.createStatement()) {
            if (!exists(s, "SELECT 1 FROM pg_database WHERE datname = '" + state.database() + "'")) {
                s.execute("CREATE DATABASE " + db);
            }
            if (!exists(s, "SELECT 1 FROM pg_roles WHERE rolname = '" + READER_ROLE + "'")) {
                s.execute("CREATE ROLE " + reader + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE");
            }
            c.unwrap(PGConnection.class)
                    .alterUserPassword(READER_ROLE, state.readerPassword().toCharArray(), "scram-sha-256");
            s.execute("GRANT pg_read_all_data TO " + reader);
            s.execute("ALTER ROLE " + reader + " SET default_transaction_read_only = on");
        } catch (SQLException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "preparing main's database " + state.database() + " on " + postgres + " failed [SQLSTATE "
                            + e.getSQLState() + "]: " + e.getMessage(),
                    e);
        }
    }

    private static boolean exists(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next();
        }
    }
}
