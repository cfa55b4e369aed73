package dev.sluice.pipeline.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class TtlTest {

    @Test
    void readsShortFormsAndIso8601() {
        assertThat(Ttl.parse("ttl", "7d")).hasValue(Duration.ofDays(7));
        assertThat(Ttl.parse("ttl", "12h")).hasValue(Duration.ofHours(12));
        assertThat(Ttl.parse("ttl", "30m")).hasValue(Duration.ofMinutes(30));
        assertThat(Ttl.parse("ttl", "90s")).hasValue(Duration.ofSeconds(90));
        assertThat(Ttl.parse("ttl", "P7D")).hasValue(Duration.ofDays(7));
        assertThat(Ttl.parse("ttl", "PT1H30M")).hasValue(Duration.ofMinutes(90));
    }

    @Test
    void refusesATtlBeyondAHundredYearsThatWouldOverflowTheExpiryTime() {
        assertThat(Ttl.parse("ttl", "36500d")).hasValue(Duration.ofDays(36_500));
        for (String tooLong : new String[] {"36501d", "P400000000000D", "999999999d"}) {
            assertThatThrownBy(() -> Ttl.parse("ttl", tooLong))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("ttl '" + tooLong + "' is not allowed: at most 36500d (100 years); leave the ttl out"
                            + " for a branch that does not expire");
        }
    }

    @Test
    void blankMeansNoTtl() {
        assertThat(Ttl.parse("ttl", null)).isEmpty();
        assertThat(Ttl.parse("ttl", " ")).isEmpty();
    }

    @Test
    void refusesZeroNegativeAndUnknownFormsNamingTheValue() {
        for (String bad : new String[] {"0d", "-1h", "PT-1H", "7 days", "7w", "d"}) {
            assertThatThrownBy(() -> Ttl.parse("--ttl", bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--ttl '" + bad + "' is not allowed: expected a positive duration");
        }
    }
}
