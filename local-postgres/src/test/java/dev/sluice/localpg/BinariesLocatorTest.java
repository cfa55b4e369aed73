package dev.sluice.localpg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search order, against fake bin directories whose {@code postgres --version} is a shell script. */
class BinariesLocatorTest {

    @TempDir
    Path tmp;

    private final Map<String, String> env = new HashMap<>(Map.of("PATH", ""));

    @Test
    void environmentVariableComesFirst() throws IOException {
        Path own = fakeBin(tmp.resolve("own"), "16.4");
        fakeBin(debian().resolve("17/bin"), "17.2");
        env.put("SLUICE_PG_BIN", own.toString());

        PostgresBinaries found = locator().find();

        assertThat(found.binDirectory()).isEqualTo(own);
        assertThat(found.origin()).isEqualTo("SLUICE_PG_BIN");
        assertThat(found.version()).isEqualTo("16.4");
    }

    @Test
    void prefersTheHighestDebianMajor() throws IOException {
        fakeBin(debian().resolve("14/bin"), "14.9");
        fakeBin(debian().resolve("16/bin"), "16.4");
        Files.createDirectories(debian().resolve("17/bin")); // client tools only, no server

        PostgresBinaries found = locator().find();

        assertThat(found.majorVersion()).isEqualTo(16);
        assertThat(found.origin()).isEqualTo("Debian package");
    }

    @Test
    void findsARequestedMajorPastOtherVersions() throws IOException {
        env.put("SLUICE_PG_BIN", fakeBin(tmp.resolve("own"), "16.4").toString());
        fakeBin(debian().resolve("16/bin"), "16.4");
        fakeBin(debian().resolve("14/bin"), "14.9");

        assertThat(locator().find(14).binDirectory()).isEqualTo(debian().resolve("14/bin"));
    }

    @Test
    void usesPgConfigOnThePath() throws IOException {
        Path bin = fakeBin(tmp.resolve("opt/pg/bin"), "15.1");
        script(tmp.resolve("path/pg_config"), "echo " + bin);
        env.put("PATH", tmp.resolve("path").toString());

        PostgresBinaries found = locator().find();

        assertThat(found.binDirectory()).isEqualTo(bin);
        assertThat(found.origin()).isEqualTo("pg_config --bindir");
    }

    @Test
    void sayingWhereItLookedAndHowToFixWhenNothingFits() throws IOException {
        env.put("SLUICE_PG_BIN", fakeBin(tmp.resolve("own"), "16.4").toString());

        assertThatThrownBy(() -> locator().find(18))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("no PostgreSQL 18 binaries")
                .hasMessageContaining(tmp.resolve("own") + " (SLUICE_PG_BIN): PostgreSQL 16.4")
                .hasMessageContaining(debian().resolve("18/bin") + ": not installed")
                .hasMessageContaining("pg_config: not on PATH")
                .hasMessageContaining("classpath resource /pg/18/postgres-linux-x86_64.txz: absent")
                .hasMessageContaining("classpath resource /postgres-linux-x86_64.txz: absent")
                .hasMessageContaining("apt-get install postgresql-18")
                .hasMessageContaining("set SLUICE_PG_BIN");
    }

    @Test
    void rejectsAnEnvironmentVariablePointingAtNoServer() throws IOException {
        Files.createDirectories(tmp.resolve("empty"));
        env.put("SLUICE_PG_BIN", tmp.resolve("empty").toString());

        assertThatThrownBy(() -> locator().find())
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("SLUICE_PG_BIN=" + tmp.resolve("empty"))
                .hasMessageContaining("no executable initdb or postgres");
    }

    @Test
    void listsEveryDistinctInstallation() throws IOException {
        Path bin16 = fakeBin(debian().resolve("16/bin"), "16.4");
        fakeBin(debian().resolve("14/bin"), "14.9");
        env.put("SLUICE_PG_BIN", bin16.toString());

        assertThat(locator().available())
                .extracting(PostgresBinaries::majorVersion)
                .containsExactly(16, 14);
    }

    private Path debian() {
        return tmp.resolve("usr/lib/postgresql");
    }

    private BinariesLocator locator() {
        // A class loader that sees no resources: no Zonky archive, no /pg/<major>/ archives.
        ClassLoader nothing = new URLClassLoader(new URL[0], null);
        return new BinariesLocator(env, debian(), new ArchiveCache(tmp.resolve("cache")), nothing);
    }

    private static Path fakeBin(Path dir, String version) throws IOException {
        script(dir.resolve("postgres"), "echo 'postgres (PostgreSQL) " + version + "'");
        script(dir.resolve("initdb"), "exit 1");
        return dir;
    }

    private static void script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
