package dev.sluice.branching;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.core.SluiceException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.Optional;

/** The store's small state files: JSON, owner-only (they hold passwords), replaced atomically. */
final class JsonFiles {

    /** Fields a later version added are ignored, so that an older Sluice can still open the store. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private JsonFiles() {}

    /**
     * Writes {@code value} to {@code file} so that a crash, of the process or of the machine, leaves
     * either the old or the new file. Without the syncs, a machine crash soon after the rename can
     * leave an empty file on some filesystems (XFS, ext4 without {@code auto_da_alloc}).
     */
    static void write(Path file, Object value) {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(temporary);
            try (FileChannel channel = FileChannel.open(
                    temporary,
                    EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ByteBuffer bytes = ByteBuffer.wrap(JSON.writeValueAsBytes(value));
                while (bytes.hasRemaining()) {
                    channel.write(bytes);
                }
                channel.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(file.getParent());
        } catch (IOException e) {
            throw new SluiceException(SluiceException.Reason.INTERNAL, "could not write " + file + ": " + e, e);
        }
    }

    /** Makes the renames and deletions in {@code directory} durable. */
    static void syncDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** The value in {@code file}, if the file exists. */
    static <T> Optional<T> read(Path file, Class<T> type) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            if (Files.size(file) == 0) {
                throw new SluiceException(SluiceException.Reason.INTERNAL, "could not read " + file + ": it is empty");
            }
            return Optional.of(JSON.readValue(file.toFile(), type));
        } catch (JsonProcessingException e) {
            // Not Jackson's message, nor it as the cause: it quotes the text it choked on, maybe a password.
            JsonLocation at = e.getLocation();
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "could not read " + file + ": not the JSON expected"
                            + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"));
        } catch (IOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL, "could not read " + file + ": " + e.getMessage(), e);
        }
    }
}
