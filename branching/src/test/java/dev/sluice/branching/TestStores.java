package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/**
 * Where test stores live: under {@value #COW_DIR_ENV} when it is set (CI mounts a reflink XFS there,
 * so the copy-on-write path is proven for real), otherwise in the temp directory with the full-copy
 * fallback. The same tests run either way.
 */
final class TestStores {

    /** A directory on a filesystem that can clone files (XFS with reflink, btrfs). */
    static final String COW_DIR_ENV = "SLUICE_TEST_COW_DIR";

    /** Fast and not durable, like the other test servers; small, so that several branches fit on 2 cores. */
    static final Map<String, String> SETTINGS = Map.of(
            "fsync", "off",
            "synchronous_commit", "off",
            "shared_buffers", "32MB",
            "max_connections", "40");

    private TestStores() {}

    /** A new, empty directory for a store. */
    static Path newRoot(String name) {
        String cow = System.getenv(COW_DIR_ENV);
        try {
            Path base = cow != null && !cow.isBlank() ? Path.of(cow) : Path.of(System.getProperty("java.io.tmpdir"));
            return Files.createTempDirectory(base, "sluice-store-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new, empty directory for a store in the temp directory, wherever {@value #COW_DIR_ENV} points. */
    static Path newPlainRoot(String name) {
        try {
            return Files.createTempDirectory(
                    Path.of(System.getProperty("java.io.tmpdir")), "sluice-store-" + name + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static StoreOptions options() {
        return StoreOptions.defaults().withServerSettings(SETTINGS);
    }

    /** With {@value #COW_DIR_ENV} set, the store must have found copy-on-write: otherwise CI proves nothing. */
    static void assertCopyOnWriteAsConfigured(BranchStore store) {
        String cow = System.getenv(COW_DIR_ENV);
        assertThat(store.copyOnWrite())
                .as("%s; %s=%s", store.filesystemDescription(), COW_DIR_ENV, cow)
                .isEqualTo(cow != null && !cow.isBlank());
    }

    static void delete(Path root) {
        FileTrees.deleteQuietly(root);
    }

    static Connection connect(PgUrl url) throws SQLException {
        Properties p = url.properties();
        p.setProperty("connectTimeout", "20");
        return DriverManager.getConnection(url.jdbcUrl(), p);
    }
}
