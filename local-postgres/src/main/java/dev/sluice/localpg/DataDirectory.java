package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A server's data directory: created by {@code initdb} once, and holding the superuser's password. */
final class DataDirectory {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final Path path;

    DataDirectory(Path path) {
        this.path = path;
    }

    boolean isInitialized() {
        return Files.isRegularFile(path.resolve("PG_VERSION"));
    }

    /** The password {@link #initialize} stored, if this directory has one. */
    Optional<String> storedPassword() {
        Path stored = path.resolve(LocalPostgres.PASSWORD_FILE);
        return Files.isRegularFile(stored) ? Optional.of(read(stored).strip()) : Optional.empty();
    }

    /**
     * Runs {@code initdb}: UTF-8, locale C, trusted local sockets and {@code scram-sha-256} over TCP,
     * then stores the password next to the data. {@code sync=false} skips initdb's final fsync;
     * {@code extraArgs} go to initdb after those (e.g. {@code --wal-segsize=1}).
     */
    void initialize(
            PostgresBinaries binaries, String superuser, String password, boolean sync, List<String> extraArgs) {
        Path passwordFile = null;
        try {
            Files.createDirectories(path.getParent());
            FileAttribute<Set<PosixFilePermission>> ownerOnly = PosixFilePermissions.asFileAttribute(OWNER_ONLY);
            passwordFile = Files.createTempFile("sluice-pw-", "", ownerOnly);
            Files.writeString(passwordFile, password + "\n");
            List<String> args = new ArrayList<>(List.of(
                    "-D",
                    path.toString(),
                    "-U",
                    superuser,
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "--pwfile=" + passwordFile,
                    "--encoding=UTF8",
                    "--locale=C"));
            if (!sync) {
                args.add("--no-sync");
            }
            args.addAll(extraArgs);
            Exec.Result result = Exec.run(ServerUser.command(binaries.bin("initdb"), args), Duration.ofSeconds(120));
            if (!result.succeeded()) {
                throw new SluiceException(
                        SluiceException.Reason.INTERNAL,
                        "initdb (" + binaries + ") failed for " + path + " with exit code " + result.exitCode() + ":\n"
                                + result.output().strip());
            }
            Path stored = path.resolve(LocalPostgres.PASSWORD_FILE);
            Files.writeString(stored, password + "\n");
            Files.setPosixFilePermissions(stored, OWNER_ONLY);
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not initialize " + path + ": " + e, e);
        } finally {
            if (passwordFile != null) {
                FileTrees.deleteQuietly(passwordFile);
            }
        }
    }

    /** Fails with a fix when the directory was made by another major version than {@code binaries}. */
    void checkVersion(PostgresBinaries binaries) {
        String initializedBy = read(path.resolve("PG_VERSION")).strip();
        if (!initializedBy.equals(Integer.toString(binaries.majorVersion()))) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    "data directory " + path + " belongs to PostgreSQL " + initializedBy + ", but " + binaries
                            + " is version " + binaries.majorVersion() + ". Use PostgreSQL " + initializedBy
                            + " binaries or another data directory.");
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not read " + file + ": " + e, e);
        }
    }
}
