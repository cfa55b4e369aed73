package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.FileTrees;
import dev.sluice.testing.StoreDirectories;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;

/** Stores for tests, in {@link StoreDirectories}: on a reflink XFS in CI, in the temp directory elsewhere. */
final class TestStores {

    /** Fast and not durable, like the other test servers; small, so that several branches fit on 2 cores. */
    static final Map<String, String> SETTINGS = Map.of(
            "fsync", "off",
            "synchronous_commit", "off",
            "shared_buffers", "32MB",
            "max_connections", "40");

    private TestStores() {}

    static Path newRoot(String name) {
        return StoreDirectories.newRoot(name);
    }

    static Path newPlainRoot(String name) {
        return StoreDirectories.newPlainRoot(name);
    }

    static StoreOptions options() {
        return StoreOptions.defaults().withServerSettings(SETTINGS);
    }

    /** With a copy-on-write test directory the store must have found copy-on-write: otherwise CI proves nothing. */
    static void assertCopyOnWriteAsConfigured(BranchStore store) {
        assertThat(store.copyOnWrite())
                .as(
                        "%s; %s=%s",
                        store.filesystemDescription(),
                        StoreDirectories.COW_DIR_ENV,
                        System.getenv(StoreDirectories.COW_DIR_ENV))
                .isEqualTo(StoreDirectories.copyOnWriteExpected());
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
