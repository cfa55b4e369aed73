package dev.sluice.branching;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The store's directories are its owner's alone (mode 0700): each server's Unix socket lives in
 * the directory above its data, and local socket connections are trusted, so another local user who
 * could reach a socket could connect as the superuser.
 */
final class PrivateDirectories {

    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private PrivateDirectories() {}

    /** Creates {@code directory} (and missing parents) and makes it, not its parents, owner-only. */
    static Path create(Path directory) throws IOException {
        Files.createDirectories(directory);
        Files.setPosixFilePermissions(directory, OWNER_ONLY);
        return directory;
    }
}
