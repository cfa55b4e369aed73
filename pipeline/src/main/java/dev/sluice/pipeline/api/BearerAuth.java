package dev.sluice.pipeline.api;

import static dev.sluice.core.Preconditions.requireConfig;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks an {@code Authorization: Bearer ...} header against the one token the API accepts.
 *
 * <p>Both sides are hashed before the comparison, so it takes the same time whatever the length or
 * the first differing character of the token offered: timing tells an attacker nothing.
 */
final class BearerAuth {

    private static final String PREFIX = "Bearer ";

    private final byte[] expected;

    BearerAuth(String token) {
        requireConfig(
                token != null && !token.isBlank(),
                "api.token is not set: set SLUICE_API_TOKEN (or api.token in sluice.yaml, or --api-token);"
                        + " the branch API refuses to run without a bearer token");
        this.expected = sha256(token);
    }

    /** Whether the header carries the token; {@code null} (no header) never does. */
    boolean accepts(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            return false;
        }
        return MessageDigest.isEqual(
                expected, sha256(authorization.substring(PREFIX.length()).strip()));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
