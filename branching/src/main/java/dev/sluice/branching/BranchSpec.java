package dev.sluice.branching;

import static dev.sluice.core.Preconditions.requireArgument;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * What to create.
 *
 * @param from the branch to clone; {@code main} by default
 * @param ttl how long until the reaper deletes it; empty for never
 * @param schemaOnly the parent's structure without its rows
 */
public record BranchSpec(String name, String from, Optional<Duration> ttl, boolean schemaOnly) {

    /** Branch names become directory names and appear in URLs: keep them to a safe alphabet. */
    public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    /** The longest TTL: 100 years, far inside what an expiry time can hold. */
    public static final Duration LONGEST_TTL = Duration.ofDays(36_500);

    public BranchSpec {
        requireArgument(
                name != null && NAME.matcher(name).matches(),
                "branch name '%s' is not allowed: use 1 to 63 lower-case letters, digits, '-' or '_', starting with a letter or digit",
                name);
        requireArgument(from != null && !from.isBlank(), "the branch to clone from is missing");
        requireArgument(
                ttl.isEmpty() || !ttl.get().isNegative() && !ttl.get().isZero(),
                "ttl must be positive, found %s",
                ttl.orElse(null));
        requireArgument(
                ttl.isEmpty() || ttl.get().compareTo(LONGEST_TTL) <= 0,
                "ttl %s is not allowed: at most %s days; leave it out for a branch that does not expire",
                ttl.orElse(null),
                LONGEST_TTL.toDays());
    }

    public static BranchSpec of(String name) {
        return new BranchSpec(name, Branch.MAIN, Optional.empty(), false);
    }
}
