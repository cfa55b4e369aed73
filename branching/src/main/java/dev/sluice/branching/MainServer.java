package dev.sluice.branching;

import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.TableId;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.localpg.PostgresBinaries;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.postgresql.PGConnection;

/**
 * The store's {@code main}: the PostgreSQL instance the pipeline writes the anonymized replica into,
 * in {@code main/data}, with one application database. Users get no write access to it: besides the
 * superusers (the bootstrap one for the store, {@value #WRITER_ROLE} for the pipeline) it has only a
 * read-only login, {@value #READER_ROLE}.
 *
 * <p>The pipeline writes as a superuser of its own, {@value #WRITER_ROLE}, so that everything it
 * creates is owned by that role: a branch demotes the role to a plain, login-less one and makes the
 * branch's login a member of it, which hands the branch every object the pipeline made in constant
 * time, whatever the size of the schema.
 */
final class MainServer implements AutoCloseable {

    /**
     * main's WAL segment size in MB (PostgreSQL's default is 16). Every branch ends two of main's
     * segments early ({@code pg_backup_start} and {@code pg_backup_stop} each switch segments), and
     * PostgreSQL writes out the rest of a switched segment: with 16 MB segments a branch would cost
     * up to 32 MB of main's WAL, with 1 MB segments at most 2 MB.
     */
    static final int WAL_SEGMENT_MB = 1;

    /** The superuser the pipeline writes as; see the class documentation. */
    static final String WRITER_ROLE = "sluice_writer";

    /** main's read-only login; branches drop it. */
    static final String READER_ROLE = "sluice_reader";

    /**
     * What main keeps across restarts, in {@code main/main.json} (owner-only).
     *
     * @param createdAt ISO-8601
     * @param writerPassword null in a store made before {@value #WRITER_ROLE} existed, then set
     */
    record State(String database, String createdAt, String readerPassword, String writerPassword) {
        State withWriterPassword(String password) {
            return new State(database, createdAt, readerPassword, password);
        }
    }

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
            Path directory,
            StoreOptions options,
            Map<String, String> settings,
            PostgresBinaries binaries,
            Set<Integer> portsToAvoid) {
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
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not create " + directory + ": " + e, e);
        }
        if (state == null) {
            state = new State(
                    options.database(),
                    options.clock().instant().toString(),
                    Passwords.generate(),
                    Passwords.generate());
            JsonFiles.write(stateFile, state);
        } else if (state.writerPassword() == null) {
            state = state.withWriterPassword(Passwords.generate());
            JsonFiles.write(stateFile, state);
        }
        LocalPostgres postgres = LocalPostgres.builder(directory.resolve("data"))
                .binaries(binaries)
                .initdbOption("--wal-segsize=" + WAL_SEGMENT_MB)
                .port(freePortOutside(portsToAvoid))
                .settings(settings)
                .logFile(directory.resolve("server.log"))
                .logLimit(options.serverLogLimit())
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

    /** The pipeline's superuser's URL of the application database: what the pipeline writes through. */
    PgUrl writerUrl() {
        return postgres.url(state.database()).withCredentials(WRITER_ROLE, state.writerPassword());
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
            if (!exists(s, "SELECT 1 FROM pg_roles WHERE rolname = '" + WRITER_ROLE + "'")) {
                s.execute("CREATE ROLE " + TableId.quoteIdent(WRITER_ROLE) + " LOGIN SUPERUSER");
            }
            c.unwrap(PGConnection.class)
                    .alterUserPassword(WRITER_ROLE, state.writerPassword().toCharArray(), "scram-sha-256");
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

    /**
     * A free loopback port that is none of {@code avoid}: main starts before the branches' public
     * ports are bound again, and must not take one of them.
     */
    private static int freePortOutside(Set<Integer> avoid) {
        for (int attempt = 0; attempt < 100; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LocalPostgres.HOST))) {
                if (!avoid.contains(socket.getLocalPort())) {
                    return socket.getLocalPort();
                }
            } catch (IOException e) {
                throw new SluiceException(SluiceException.Reason.INTERNAL, "could not find a free TCP port: " + e, e);
            }
        }
        throw new SluiceException(SluiceException.Reason.INTERNAL, "no free TCP port outside the branches' ports");
    }

    private static boolean exists(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            return rs.next();
        }
    }
}
