package dev.sluice.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests put branch stores: under {@value #COW_DIR_ENV} when it is set (CI mounts a reflink XFS
 * there, see {@code .ci/run}, so the copy-on-write path is proven for real), otherwise in the temp
 * directory, where the store falls back to full copies. The same tests run either way; a test that
 * checks what the store detected asserts {@link #copyOnWriteExpected()}.
 */
public final class StoreDirectories {

    /** A directory on a filesystem that can clone files (XFS with reflink, btrfs). */
    public static final String COW_DIR_ENV = "SLUICE_TEST_COW_DIR";

    private StoreDirectories() {}

    /** A new, empty directory for a store, its name starting with {@code sluice-store-<name>-}. */
    public static Path newRoot(String name) {
        return newDirectory(copyOnWriteExpected() ? Path.of(System.getenv(COW_DIR_ENV)) : tempDirectory(), name);
    }

    /** A new, empty directory for a store in the temp directory, wherever {@value #COW_DIR_ENV} points. */
    public static Path newPlainRoot(String name) {
        return newDirectory(tempDirectory(), name);
    }

    /** Kills the postmaster of the store's main at {@code root} with SIGKILL, as the OOM killer does. */
    public static void killMain(Path root) {
        try {
            long pid = Long.parseLong(Files.readAllLines(root.resolve("main/data/postmaster.pid"))
                    .get(0)
                    .strip());
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the pid of main under " + root + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@link #newRoot} is on a copy-on-write filesystem, so a store there must detect one. */
    public static boolean copyOnWriteExpected() {
        String dir = System.getenv(COW_DIR_ENV);
        return dir != null && !dir.isBlank();
    }

    private static Path tempDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    private static Path newDirectory(Path base, String name) {
        try {
            return Files.createTempDirectory(base, "sluice-store-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a store directory in " + base + ": " + e.getMessage(), e);
        }
    }
}
