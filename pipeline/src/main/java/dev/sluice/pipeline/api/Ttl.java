package dev.sluice.pipeline.api;

import dev.sluice.branching.BranchSpec;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A branch's time to live as people write it: {@code 7d}, {@code 12h}, {@code 30m}, {@code 90s}, or
 * ISO-8601 ({@code P7D}, {@code PT12H}). The API and the CLI read it the same way.
 */
public final class Ttl {

    private static final Pattern SHORT = Pattern.compile("(\\d{1,9})([dhms])");

    /** Longer is a typo, and far longer would not fit the expiry time: a branch that should stay has no ttl. */
    private Ttl() {}

    /**
     * Parses a ttl; blank means none.
     *
     * @param field what the value is called where it came from ({@code ttl}, {@code --ttl}), for the
     *     message
     * @throws IllegalArgumentException naming the value found and the forms expected
     */
    public static Optional<Duration> parse(String field, String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        String t = text.strip();
        Matcher m = SHORT.matcher(t.toLowerCase(Locale.ROOT));
        Duration d;
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
            };
        } else {
            try {
                d = Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw invalid(field, text);
            }
        }
        if (d.isZero() || d.isNegative()) {
            throw invalid(field, text);
        }
        if (d.compareTo(BranchSpec.LONGEST_TTL) > 0) {
            throw new IllegalArgumentException(field + " '" + text + "' is not allowed: at most "
                    + BranchSpec.LONGEST_TTL.toDays() + "d (100 years); leave the ttl out for a branch that does not"
                    + " expire");
        }
        return Optional.of(d);
    }

    private static IllegalArgumentException invalid(String field, String text) {
        return new IllegalArgumentException(field + " '" + text
                + "' is not allowed: expected a positive duration such as 7d, 12h, 30m, 90s or ISO-8601 (P7D, PT12H)");
    }
}
