package dev.sluice.pipeline.source.postgres;

import dev.sluice.core.PgErrors;
import dev.sluice.core.PgUrl;
import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import dev.sluice.core.TableId;
import java.sql.SQLException;

/** Messages for the ways creating, reading or dropping a replication slot fails. */
final class SlotErrors {

    private SlotErrors() {}

    /** Explains the common ways creating or using a slot fails. */
    static SluiceException explain(PgUrl url, String slot, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String reason = PgErrors.firstLine(e.getMessage());
        return switch (state) {
            case "42501" ->
                new SluiceException(
                        Reason.PRIVILEGE,
                        "User '" + url.user() + "' may not use replication slots on " + url + ": " + reason
                                + ". Grant it with ALTER ROLE " + TableId.quoteIdent(String.valueOf(url.user()))
                                + " REPLICATION (on Amazon RDS and Aurora: GRANT rds_replication TO "
                                + TableId.quoteIdent(String.valueOf(url.user())) + ").",
                        e);
            case "53400" ->
                new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Cannot create replication slot '" + slot + "': " + reason
                                + ". Every slot allowed by max_replication_slots is taken. Drop an unused slot"
                                + " (SELECT pg_drop_replication_slot(name) ... FROM pg_replication_slots WHERE NOT active)"
                                + " or raise max_replication_slots and restart the server.",
                        e);
            case "55000" ->
                new SluiceException(Reason.SOURCE_NOT_READY, "The source cannot decode its WAL: " + reason + ".", e);
            case "55006" ->
                new SluiceException(
                        Reason.SLOT_IN_USE,
                        "Replication slot '" + slot + "' is in use by another process: " + reason
                                + ". Another Sluice (or another consumer) is reading it; stop that one first, or give"
                                + " this one its own source.slot.",
                        e);
            case "42704" ->
                new SluiceException(
                        Reason.SOURCE_NOT_READY,
                        "Replication slot '" + slot + "' does not exist on " + url + ". Run `sluice init` first.",
                        e);
            default ->
                new SluiceException(
                        state.startsWith("08") ? Reason.SOURCE_UNREACHABLE : Reason.SOURCE_NOT_READY,
                        "Using replication slot '" + slot + "' on " + url + " failed: " + reason + " (SQLSTATE " + state
                                + ")",
                        e);
        };
    }
}
