package dev.sluice.branching;

import java.time.Instant;
import java.util.Optional;

/**
 * How often main's postmaster was started again after it died on its own, since the store opened.
 *
 * @param last when main last ran again; empty until the first restart
 */
public record MainRestarts(int count, Optional<Instant> last) {

    static final MainRestarts NONE = new MainRestarts(0, Optional.empty());

    MainRestarts next(Instant at) {
        return new MainRestarts(count + 1, Optional.of(at));
    }
}
