package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class FpeTest {

    private final Fpe fpe = Fpe.of(Fixtures.KEY, "fpe-test");

    /** The long-arithmetic FF1 gives Bouncy Castle's output, both ways, wherever it applies. */
    @Test
    void fastFf1MatchesBouncyCastleAcrossRadixesAndLengths() {
        SplittableRandom random = new SplittableRandom(11);
        int[] radixes = {2, 3, 4, 7, 8, 10, 16, 26, 36, 55, 62, 100, 255, 256};
        int checked = 0;
        for (int radix : radixes) {
            for (int n = 2; n <= 130; n++) {
                if (Math.pow(radix, n) < 1_000_000) {
                    continue;
                }
                for (int k = 0; k < 25; k++) {
                    byte[] x = new byte[n];
                    for (int i = 0; i < n; i++) {
                        x[i] = (byte) random.nextInt(radix);
                    }
                    String tweak = "t" + random.nextInt();
                    byte[] encrypted = fpe.encrypt(radix, x, tweak);
                    byte[] tweakBytes = tweakBytes(tweak);
                    assertThat(encrypted)
                            .as("radix %d, length %d", radix, n)
                            .isEqualTo(fpe.referenceFf1(true, radix, x, tweakBytes));
                    assertThat(fpe.decrypt(radix, encrypted, tweak)).isEqualTo(x);
                    assertThat(fpe.referenceFf1(false, radix, encrypted, tweakBytes))
                            .isEqualTo(x);
                    checked++;
                }
            }
        }
        assertThat(checked).isGreaterThan(10_000);
    }

    private byte[] tweakBytes(String tweak) {
        try {
            java.lang.reflect.Method m = Fpe.class.getDeclaredMethod("tweak", String.class);
            m.setAccessible(true);
            return (byte[]) m.invoke(fpe, tweak);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void rangesArePermutationsEvenWhenCycleWalking() {
        for (long size : new long[] {1, 2, 10, 1000, 131_073, 1_000_001, 9_000_000}) {
            Fpe.Range range = fpe.range(size, "r");
            int n = (int) Math.min(size, 200_000);
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = range.permute(i);
                assertThat(out[i]).isBetween(0L, size - 1);
                assertThat(range.unpermute(out[i])).isEqualTo(i);
            }
            assertThat(Arrays.stream(out).distinct().count()).isEqualTo(n);
        }
    }

    @Test
    void smallDomainsUnderManyTweaksShareTablesAndStayBijective() {
        Fpe f = Fpe.of(Fixtures.KEY, "many-tweaks");
        for (int t = 0; t < 50_000; t++) {
            f.encrypt(10, new byte[] {1, 2, 3}, "domain" + t + ".com");
        }
        assertThat(f.plans()).isEqualTo(1);
        assertThat(f.rangesKept()).isEqualTo(Fpe.TWEAKS_MAX);
        // The first tweak's range is kept, the last one's made anew each time: both stay bijective.
        for (String tweak : List.of("domain0.com", "a.com", "b.com")) {
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (int v = 0; v < 1000; v++) {
                byte[] x = {(byte) (v / 100), (byte) (v / 10 % 10), (byte) (v % 10)};
                byte[] y = f.encrypt(10, x, tweak);
                assertThat(seen.add(Arrays.toString(y))).isTrue();
                assertThat(f.decrypt(10, y, tweak)).isEqualTo(x);
            }
        }
        assertThat(f.encrypt(10, new byte[] {1, 2, 3}, "a.com"))
                .isNotEqualTo(f.encrypt(10, new byte[] {1, 2, 3}, "b.com"));
    }

    @Test
    void tightestRadixKeepsCycleWalkingShort() {
        for (long size : new long[] {1_000_001, 9_000_000, 1L << 40, 999_999_999_999L, Long.MAX_VALUE - 5}) {
            int[] best = Fpe.tightest(size);
            double domain = Math.pow(best[0], best[1]);
            assertThat(domain / size)
                    .as("size %d: radix %d, length %d", size, best[0], best[1])
                    .isBetween(1.0, 1.5);
        }
    }
}
