package dev.sluice.branching;

import dev.sluice.core.SluiceException;
import dev.sluice.localpg.FileTrees;
import dev.sluice.localpg.LocalPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Copies a running server's data directory into a consistent copy that starts on its own: a
 * non-exclusive online backup ({@code pg_backup_start} / {@code pg_backup_stop}, PostgreSQL 15+)
 * whose files are cloned by a {@link CopyMethod}.
 *
 * <p>The parent keeps taking writes throughout: a backup forces no lock, only a checkpoint at the
 * start and full-page writes while it runs, so torn pages in the copied files are repaired by WAL
 * replay when the copy starts. The copy's {@code pg_wal} is cloned again after {@code
 * pg_backup_stop}, so it holds every record up to the backup's end; a temporary physical replication
 * slot, held by the backup's session, keeps the parent from recycling that WAL meanwhile. The copy
 * starts with crash recovery from the returned {@code backup_label} and replays to the end of the WAL
 * it holds: the state of a committed prefix of the parent's transactions.
 */
final class OnlineClone {

    /** Top-level entries of a data directory that a copy must not take over (as pg_basebackup). */
    private static final List<String> EXCLUDED_FILES = List.of(
            "postmaster.pid",
            "postmaster.opts",
            "backup_label.old",
            "tablespace_map.old",
            "recovery.signal",
            "standby.signal",
            "log",
            "current_logfiles");

    /** Directories whose contents are per server instance; the directories themselves stay. */
    private static final List<String> EMPTIED_DIRECTORIES = List.of(
            "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans");

    private OnlineClone() {}

    /**
     * Copies the data directory of {@code parent}, which must be running, to {@code target} (which
     * must not exist). On failure {@code target} may be left half-written; the caller removes it.
     */
    static void copy(LocalPostgres parent, CopyMethod method, Path target) {
        if (parent.majorVersion() < 15) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    "branches need PostgreSQL 15 or later (pg_backup_start), found " + parent.majorVersion());
        }
        Path source = parent.dataDirectory();
        String labelFile;
        String tablespaceMap;
        try (Connection session = parent.jdbcConnection("postgres");
                Statement statement = session.createStatement()) {
            String slot = "sluice_clone_" + HexFormat.of().formatHex(randomBytes());
            // Temporary: dropped when this session ends, however it ends.
            statement.execute("SELECT pg_create_physical_replication_slot('" + slot + "', true, true)");
            statement.execute("SELECT pg_backup_start('sluice branch', true)");
            method.copyTree(source, target);
            String endSegment;
            try (ResultSet rs = statement.executeQuery(
                    "SELECT s.labelfile, s.spcmapfile, pg_walfile_name(s.lsn) FROM pg_backup_stop(false) s")) {
                rs.next();
                labelFile = rs.getString(1);
                tablespaceMap = rs.getString(2);
                endSegment = rs.getString(3);
            }
            Path wal = target.resolve("pg_wal");
            FileTrees.delete(wal);
            method.copyTree(source.resolve("pg_wal"), wal);
            if (!Files.isRegularFile(wal.resolve(endSegment))) {
                throw new SluiceException(
                        SluiceException.Reason.INTERNAL,
                        "the copy of " + source + " lacks WAL segment " + endSegment
                                + ", which holds the end of its backup; the copy would not be consistent");
            }
        } catch (SQLException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL,
                    "online backup of " + source + " failed [SQLSTATE " + e.getSQLState() + "]: " + e.getMessage(),
                    e);
        }
        try {
            removeInstanceFiles(target);
            Files.writeString(target.resolve("backup_label"), labelFile);
            if (tablespaceMap != null && !tablespaceMap.isEmpty()) {
                Files.writeString(target.resolve("tablespace_map"), tablespaceMap);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new SluiceException(
                    SluiceException.Reason.INTERNAL, "preparing the copy " + target + " failed: " + e, e);
        }
    }

    /** Removes what belongs to the running parent rather than to its data; also for stopped copies. */
    static void removeInstanceFiles(Path dataDirectory) throws IOException {
        for (String name : EXCLUDED_FILES) {
            FileTrees.delete(dataDirectory.resolve(name));
        }
        for (String name : EMPTIED_DIRECTORIES) {
            Path dir = dataDirectory.resolve(name);
            if (Files.isDirectory(dir)) {
                try (Stream<Path> entries = Files.list(dir)) {
                    entries.forEach(FileTrees::delete);
                }
            }
        }
        // Relation cache init files are rebuilt at start; a copy of a live one may be stale.
        try (Stream<Path> files = Files.walk(dataDirectory)) {
            files.filter(p -> p.getFileName().toString().equals("pg_internal.init"))
                    .toList()
                    .forEach(FileTrees::delete);
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[6];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
