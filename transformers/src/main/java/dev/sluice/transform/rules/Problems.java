package dev.sluice.transform.rules;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects what is wrong with a rules file so that one run reports all of it, each problem on its
 * own line, instead of one per attempt.
 */
final class Problems {

    private final String origin;
    private final List<String> errors = new ArrayList<>();

    Problems(String origin) {
        this.origin = origin;
    }

    /** {@code transform.yaml:12: } */
    String at(int line) {
        return origin + (line > 0 ? ":" + line : "") + ": ";
    }

    void error(int line, String message) {
        errors.add(at(line) + message);
    }

    /** A message that already names its place (from {@link dev.sluice.transform.Parameters}, say). */
    void error(String located) {
        errors.add(located);
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /** Throws one CONFIG exception listing every problem, when there is any. */
    void throwIfAny() {
        if (errors.isEmpty()) {
            return;
        }
        if (errors.size() == 1) {
            throw new SluiceException(Reason.CONFIG, errors.get(0));
        }
        throw new SluiceException(
                Reason.CONFIG, origin + " has " + errors.size() + " problems:\n  " + String.join("\n  ", errors));
    }
}
