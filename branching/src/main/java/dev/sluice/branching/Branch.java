package dev.sluice.branching;

import dev.sluice.core.PgUrl;
import java.time.Instant;
import java.util.Optional;

/**
 * One branch as the API shows it.
 *
 * @param parent the branch it was cloned from; empty for {@code main}
 * @param expiresAt when the reaper deletes it; empty for a branch without a TTL
 * @param url how to connect, with the branch's own login role and password (mask it in logs:
 *     {@link PgUrl#toString()} does)
 * @param copyOnWrite whether its files share blocks with its parent, or are a full copy because the
 *     store's filesystem cannot clone
 */
public record Branch(
        String name,
        Optional<String> parent,
        Instant createdAt,
        Optional<Instant> expiresAt,
        BranchState state,
        PgUrl url,
        boolean schemaOnly,
        boolean copyOnWrite) {

    public static final String MAIN = "main";
}
