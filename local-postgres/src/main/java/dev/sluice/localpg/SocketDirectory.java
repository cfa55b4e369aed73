package dev.sluice.localpg;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where a server puts its Unix socket: the data directory's parent when the socket's path fits, else
 * a fresh short directory under the temp directory that {@link #release()} removes again.
 *
 * <p>A Unix socket path must fit {@code sun_path}: 107 bytes plus the terminating NUL. Deep data
 * directories (JUnit's {@code @TempDir}, CI workspaces) easily exceed that, and the server then
 * refuses to start.
 */
final class SocketDirectory {

    private static final int MAX_SOCKET_PATH = 107;

    private final Path path;
    private final boolean temporary;

    private SocketDirectory(Path path, boolean temporary) {
        this.path = path;
        this.temporary = temporary;
    }

    static SocketDirectory forDataDirectory(Path dataDirectory) {
        Path parent = dataDirectory.getParent();
        if (fits(parent)) {
            return new SocketDirectory(parent, false);
        }
        for (Path base : List.of(Path.of(System.getProperty("java.io.tmpdir")), Path.of("/tmp"))) {
            if (fits(base.resolve("sluice-pg-0123456789")) && Files.isWritable(base)) {
                try {
                    return new SocketDirectory(Files.createTempDirectory(base, "sluice-pg-"), true);
                } catch (IOException e) {
                    // Try the next base.
                }
            }
        }
        throw new SluiceException(
                SluiceException.Reason.CONFIG,
                "no directory short enough for the server's Unix socket (socket paths must stay under "
                        + MAX_SOCKET_PATH + " bytes); set unix_socket_directories explicitly");
    }

    Path path() {
        return path;
    }

    /** Removes the directory if it was made for this server; the server must have stopped. */
    void release() {
        if (temporary) {
            FileTrees.deleteQuietly(path);
        }
    }

    private static boolean fits(Path dir) {
        String text = dir.toString();
        // Commas and spaces separate entries in unix_socket_directories.
        return (text + "/.s.PGSQL.65535").getBytes(StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH
                && !text.contains(",")
                && !text.contains(" ");
    }
}
