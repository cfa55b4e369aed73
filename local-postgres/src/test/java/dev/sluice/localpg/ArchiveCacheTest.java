package dev.sluice.localpg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ArchiveCacheTest {

    @TempDir
    Path tmp;

    @Test
    void keepsExecutableBitsAndSymbolicLinks() throws Exception {
        URL archive = archive(tmp.resolve("a.txz"), false);

        Path extracted = new ArchiveCache(tmp.resolve("cache")).extract(archive, "1.0");

        assertThat(extracted).isEqualTo(tmp.resolve("cache/postgres-1.0"));
        assertThat(Files.isExecutable(extracted.resolve("bin/postgres"))).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(extracted.resolve("share/readme"))))
                .isEqualTo("rw-r--r--");
        assertThat(Files.isSymbolicLink(extracted.resolve("lib/libpq.so"))).isTrue();
        assertThat(Files.readString(extracted.resolve("lib/libpq.so"))).isEqualTo("library");
    }

    @Test
    void extractsOnceAndReusesTheDirectory() throws Exception {
        URL archive = archive(tmp.resolve("a.txz"), false);
        ArchiveCache cache = new ArchiveCache(tmp.resolve("cache"));
        Path first = cache.extract(archive, "1.0");
        Files.writeString(first.resolve("touched"), "x");

        Path second = cache.extract(archive, "1.0");

        assertThat(second).isEqualTo(first);
        assertThat(second.resolve("touched")).exists();
    }

    @Test
    @Timeout(60)
    void racingExtractionsLeaveOneCompleteDirectoryAndNoLeftovers() throws Exception {
        URL archive = archive(tmp.resolve("a.txz"), false);
        Path root = tmp.resolve("cache");
        int racers = 8;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(racers);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                // A cache object each, as separate JVMs would have.
                ArchiveCache cache = new ArchiveCache(root);
                results.add(pool.submit(() -> {
                    go.await();
                    return cache.extract(archive, "1.0");
                }));
            }
            go.countDown();
            for (Future<Path> result : results) {
                assertThat(result.get()).isEqualTo(root.resolve("postgres-1.0"));
            }
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> entries = Files.list(root)) {
            assertThat(entries).containsExactly(root.resolve("postgres-1.0"));
        }
        assertThat(root.resolve("postgres-1.0/bin/postgres")).exists();
    }

    @Test
    void refusesEntriesThatEscapeTheCache() throws Exception {
        URL archive = archive(tmp.resolve("evil.txz"), true);

        assertThatThrownBy(() -> new ArchiveCache(tmp.resolve("cache")).extract(archive, "evil"))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("outside the extraction directory");
        assertThat(tmp.resolve("escaped")).doesNotExist();
        assertThat(tmp.resolve("cache/postgres-evil")).doesNotExist();
    }

    /** A small archive shaped like Zonky's: bin/, lib/ with a symbolic link, share/. */
    private static URL archive(Path file, boolean withEscapingEntry) throws IOException {
        try (OutputStream out = Files.newOutputStream(file);
                XZCompressorOutputStream xz = new XZCompressorOutputStream(out);
                TarArchiveOutputStream tar = new TarArchiveOutputStream(xz)) {
            directory(tar, "bin/");
            file(tar, "bin/postgres", 0755, "#!/bin/sh\n");
            directory(tar, "lib/");
            file(tar, "lib/libpq.so.5.18", 0644, "library");
            TarArchiveEntry link = new TarArchiveEntry("lib/libpq.so", TarArchiveEntry.LF_SYMLINK);
            link.setLinkName("libpq.so.5.18");
            tar.putArchiveEntry(link);
            tar.closeArchiveEntry();
            file(tar, "share/readme", 0644, "hello");
            if (withEscapingEntry) {
                file(tar, "../escaped", 0644, "gotcha");
            }
        }
        return file.toUri().toURL();
    }

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        TarArchiveEntry entry = new TarArchiveEntry(name);
        entry.setMode(040755);
        tar.putArchiveEntry(entry);
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, int mode, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry entry = new TarArchiveEntry(name, true);
        entry.setMode(0100000 | mode);
        entry.setSize(bytes.length);
        tar.putArchiveEntry(entry);
        tar.write(bytes);
        tar.closeArchiveEntry();
    }
}
