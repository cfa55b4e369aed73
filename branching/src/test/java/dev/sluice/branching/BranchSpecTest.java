package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a branch spec refuses, for every caller: the API, the CLI and code that embeds the store. */
class BranchSpecTest {

    @Test
    void ttlMustBePositiveAndAtMostAHundredYears() {
        assertThatThrownBy(() -> new BranchSpec("b", Branch.MAIN, Optional.of(Duration.ZERO), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ttl must be positive, found PT0S");
        assertThatThrownBy(() -> new BranchSpec("b", Branch.MAIN, Optional.of(Duration.ofDays(36_501)), false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("ttl PT876024H is not allowed: at most 36500 days; leave it out for a branch that does"
                        + " not expire");
        assertThat(new BranchSpec("b", Branch.MAIN, Optional.of(BranchSpec.LONGEST_TTL), false).ttl())
                .contains(Duration.ofDays(36_500));
    }
}
