package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CopyMethodTest {

    @Test
    void copiesATreeWithItsContentAndModes(@TempDir Path dir) throws IOException {
        Path source = Files.createDirectories(dir.resolve("source/sub"));
        Files.writeString(source.resolve("file"), "content");
        Files.setPosixFilePermissions(source, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        CopyMethod method = CopyMethod.detect(dir);

        method.copyTree(dir.resolve("source"), dir.resolve("copy"));

        assertThat(dir.resolve("copy/sub/file")).hasContent("content");
        assertThat(Files.getPosixFilePermissions(dir.resolve("copy/sub")))
                .isEqualTo(Files.getPosixFilePermissions(source));
        assertThat(method.describe(dir)).startsWith("store " + dir + " on ");
        assertThat(dir.resolve(".sluice-reflink-probe")).doesNotExist();
    }

    @Test
    void aMissingSourceFailsNamingBothPaths(@TempDir Path dir) {
        CopyMethod method = new CopyMethod(false, "test");

        assertThatThrownBy(() -> method.copyTree(dir.resolve("absent"), dir.resolve("copy")))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining(dir.resolve("absent").toString());
    }

    @Test
    void describesWhatTheFilesystemCanDo() {
        assertThat(new CopyMethod(true, "xfs").describe(Path.of("/x")))
                .isEqualTo("store /x on xfs: reflink copy-on-write");
        assertThat(new CopyMethod(false, "ext2/ext3").describe(Path.of("/x")))
                .isEqualTo("store /x on ext2/ext3: no copy-on-write: branches are full copies");
    }
}
