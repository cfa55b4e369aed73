package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** {@link KeyedRandom#below} draws what it drew when it divided Long.MAX_VALUE on every draw. */
class KeyedRandomTest {

    /** The earlier rejection sampling, kept here as the reference. */
    private static long belowAsBefore(KeyedRandom r, long bound) {
        long x = r.nextLong() >>> 1;
        long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
        while (x >= limit) {
            x = r.nextLong() >>> 1;
        }
        return x % bound;
    }

    @Provide
    Arbitrary<Long> bounds() {
        return Arbitraries.oneOf(
                Arbitraries.longs().between(1, 1000),
                Arbitraries.longs().between(1, Long.MAX_VALUE),
                // Bounds just above a power of two, and near the top, reject often.
                Arbitraries.integers().between(0, 62).map(k -> (1L << k) + 1),
                Arbitraries.longs().between(Long.MAX_VALUE / 2, Long.MAX_VALUE / 2 + 3),
                Arbitraries.longs().between(Long.MAX_VALUE - 3, Long.MAX_VALUE));
    }

    @Property(tries = 3000)
    void sameDrawsInTheSameOrderAsBefore(@ForAll @Size(value = 32) byte[] seed, @ForAll("bounds") long bound) {
        KeyedRandom now = new KeyedRandom(seed);
        KeyedRandom before = new KeyedRandom(seed);
        for (int i = 0; i < 50; i++) {
            long v = now.below(bound);
            assertThat(v).isEqualTo(belowAsBefore(before, bound)).isBetween(0L, bound - 1);
        }
        assertThat(now.nextLong()).isEqualTo(before.nextLong());
    }
}
