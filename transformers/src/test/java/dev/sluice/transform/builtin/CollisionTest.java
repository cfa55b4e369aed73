package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The collision-free transformers over millions of inputs: every output distinct, and where the
 * cipher is exposed, every output decrypts to its input. Also the practical promise of the keyed
 * email: no collision among a million addresses.
 */
class CollisionTest {

    private static final int MILLION = 1_000_000;

    private static String[] outputs(Transformer t, int n, IntFunction<String> input) {
        String[] out = new String[n];
        IntStream.range(0, n).parallel().forEach(i -> out[i] = t.apply(input.apply(i)));
        return out;
    }

    private static long distinct(String[] values) {
        Set<String> seen = ConcurrentHashMap.newKeySet(values.length);
        return Arrays.stream(values).parallel().filter(seen::add).count();
    }

    @Test
    void integerFpeMapsTwoMillionSequentialIdsToDistinctIdsOfTheSameLengthAndBack() {
        IntegerFpe t = (IntegerFpe) Fixtures.build("integer_fpe", "bigint", Map.of());
        assertThat(t.uniqueness()).isEqualTo(Uniqueness.GUARANTEED);
        int n = 2 * MILLION;
        long[] out = new long[n];
        IntStream.range(0, n).parallel().forEach(i -> {
            long id = i + 1;
            out[i] = Long.parseLong(t.apply(Long.toString(id)));
            assertThat(Long.toString(out[i])).hasSameSizeAs(Long.toString(id));
            assertThat(t.decrypt(out[i])).isEqualTo(id);
        });
        long[] sorted = out.clone();
        Arrays.sort(sorted);
        for (int i = 1; i < n; i++) {
            assertThat(sorted[i]).isNotEqualTo(sorted[i - 1]);
        }
    }

    @Test
    void integerFpeWithoutKeepDigitsPermutesEverySmallintAmongSmallints() {
        IntegerFpe t = (IntegerFpe) Fixtures.build("integer_fpe", "smallint", Map.of("keep_digits", false));
        boolean[] hit = new boolean[1 << 16];
        for (int v = Short.MIN_VALUE; v <= Short.MAX_VALUE; v++) {
            long out = Long.parseLong(t.apply(Integer.toString(v)));
            assertThat(out).isBetween((long) Short.MIN_VALUE, (long) Short.MAX_VALUE);
            assertThat(Long.signum(out) >= 0).isEqualTo(v >= 0);
            assertThat(hit[(int) out - Short.MIN_VALUE])
                    .as("collision at %d", v)
                    .isFalse();
            hit[(int) out - Short.MIN_VALUE] = true;
        }
    }

    @Test
    void integerFpeKeepsTypeRangesSignsAndDigitsAtTheEdges() {
        IntegerFpe t = (IntegerFpe) Fixtures.build("integer_fpe", "bigint", Map.of());
        long[] edges = {
            0,
            1,
            9,
            10,
            99,
            32767,
            32768,
            -32768,
            -32769,
            Integer.MAX_VALUE,
            Integer.MIN_VALUE,
            1L << 31,
            -(1L << 31) - 1,
            999_999_999_999_999_999L,
            1_000_000_000_000_000_000L,
            Long.MAX_VALUE,
            Long.MIN_VALUE,
            -1
        };
        for (long v : edges) {
            long out = Long.parseLong(t.apply(Long.toString(v)));
            assertThat(t.decrypt(out)).isEqualTo(v);
            assertThat(Long.toString(out).length())
                    .as("%d -> %d", v, out)
                    .isEqualTo(Long.toString(v).length());
            if (v >= Short.MIN_VALUE && v <= Short.MAX_VALUE) {
                assertThat(out).isBetween((long) Short.MIN_VALUE, (long) Short.MAX_VALUE);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                assertThat(out).isBetween((long) Integer.MIN_VALUE, (long) Integer.MAX_VALUE);
            }
        }
        SplittableRandom r = new SplittableRandom(7);
        Set<Long> outs = new HashSet<>();
        for (int i = 0; i < 100_000; i++) {
            long v = r.nextLong();
            long out = t.encrypt(v);
            assertThat(t.decrypt(out)).isEqualTo(v);
            assertThat(outs.add(out)).isTrue();
        }
    }

    @Test
    void digitsFpePermutesEveryFiveDigitString() {
        Transformer t = Fixtures.build("digits_fpe", Map.of());
        String[] out = outputs(t, 100_000, i -> String.format("%05d", i));
        assertThat(distinct(out)).isEqualTo(100_000);
        assertThat(out).allMatch(s -> s.matches("\\d{5}"));
    }

    @Test
    void phoneFpeKeepsAMillionPhoneNumbersDistinct() {
        Transformer t = Fixtures.build("phone_fpe", Map.of());
        String[] out = outputs(t, MILLION, i -> String.format("+1 (555) %03d-%04d", i / 10_000, i % 10_000));
        assertThat(distinct(out)).isEqualTo(MILLION);
        assertThat(out).allMatch(s -> s.matches("\\+\\d \\(\\d{3}\\) \\d{3}-\\d{4}"));
    }

    @Test
    void creditCardFpeKeepsAMillionCardsDistinctAndLuhnValid() {
        Transformer t = Fixtures.build("credit_card_fpe", Map.of("keep_prefix", 6));
        String[] out = outputs(t, MILLION, i -> withLuhn("411111" + String.format("%09d", i * 7L)));
        assertThat(distinct(out)).isEqualTo(MILLION);
        assertThat(out).allMatch(s -> s.startsWith("411111") && Digits.luhnValid(s));
    }

    @Test
    void creditCardFpeIsABijectionOnInvalidCheckDigitsToo() {
        Transformer t = Fixtures.build("credit_card_fpe", Map.of());
        Set<String> out = new HashSet<>();
        for (int body = 0; body < 1000; body++) {
            for (int check = 0; check < 10; check++) {
                String in = "5500" + String.format("%011d", body * 1_234_567L) + check;
                String o = t.apply(in);
                assertThat(out.add(o)).isTrue();
                assertThat(Digits.luhnValid(o)).isEqualTo(Digits.luhnValid(in));
            }
        }
    }

    @Test
    void ssnFpeKeepsAMillionSsnsDistinctAndValid() {
        Transformer t = Fixtures.build("ssn_fpe", Map.of());
        String[] out = outputs(t, MILLION, i -> {
            long n = 123_010_001L + i * 7L;
            while (!DigitTransformers.validSsn(n)) {
                n++;
            }
            return String.format("%03d-%02d-%04d", n / 1_000_000, n / 10_000 % 100, n % 10_000);
        });
        assertThat(distinct(out)).isEqualTo(distinctInputs(MILLION, i -> {
            long n = 123_010_001L + i * 7L;
            while (!DigitTransformers.validSsn(n)) {
                n++;
            }
            return Long.toString(n);
        }));
        assertThat(out).allMatch(s -> DigitTransformers.validSsn(Long.parseLong(s.replace("-", ""))));
        // ITINs (9xx) stay outside the valid space.
        assertThat(t.apply("912-70-1234").replace("-", ""))
                .satisfies(s -> assertThat(DigitTransformers.validSsn(Long.parseLong(s)))
                        .isFalse());
    }

    private static long distinctInputs(int n, IntFunction<String> input) {
        return IntStream.range(0, n).mapToObj(input).distinct().count();
    }

    @Test
    void emailFpeKeepsAMillionAddressesDistinctEvenIgnoringCaseAndDecrypts() {
        Emails.EmailTransformer t = (Emails.EmailTransformer) Fixtures.build("email_fpe", Map.of());
        assertThat(t.uniqueness()).isEqualTo(Uniqueness.GUARANTEED);
        List<String> domains = List.of("gmail.com", "Example.org", "corp.io");
        IntFunction<String> input = i -> (i % 3 == 0 ? "John.Doe" : "user") + i + "@" + domains.get(i % 3);
        String[] out = outputs(t, MILLION, input);
        assertThat(distinct(out)).isEqualTo(MILLION);
        String[] lower = Arrays.stream(out).map(s -> s.toLowerCase(Locale.ROOT)).toArray(String[]::new);
        assertThat(distinct(lower)).isEqualTo(MILLION);
        for (int i = 0; i < 10_000; i++) {
            String o = out[i];
            int at = o.lastIndexOf('@');
            assertThat(t.decrypt(o.substring(0, at), o.substring(at + 1)) + o.substring(at))
                    .isEqualTo(input.apply(i));
        }
    }

    @Test
    void stringFpeKeepsAMillionUsernamesDistinctEvenIgnoringCase() {
        Transformer t = Fixtures.build("string_fpe", "citext", Map.of());
        String[] out = outputs(t, MILLION, i -> (i % 2 == 0 ? "Bob_" : "alice.") + Integer.toString(i, 36));
        assertThat(distinct(out)).isEqualTo(MILLION);
        assertThat(distinct(
                        Arrays.stream(out).map(s -> s.toLowerCase(Locale.ROOT)).toArray(String[]::new)))
                .isEqualTo(MILLION);
    }

    @Test
    void ipKeepsEveryAddressOfASubnetDistinctAndInTheSubnet() {
        Transformer t = Fixtures.build("ip", "inet", Map.of("ipv4_prefix", 16));
        String[] out = outputs(t, 1 << 16, i -> "10.20." + (i >> 8) + "." + (i & 255));
        assertThat(distinct(out)).isEqualTo(1 << 16);
        assertThat(out).allMatch(s -> s.startsWith("10.20."));
    }

    @Test
    void ipKeepsAMillionIpv6AddressesDistinct() {
        Transformer t = Fixtures.build("ip", "inet", Map.of("ipv6_prefix", 64));
        String[] out = outputs(
                t,
                MILLION,
                i -> "2001:db8:0:1::" + Integer.toHexString(i >>> 16) + ":" + Integer.toHexString(i & 0xffff));
        assertThat(distinct(out)).isEqualTo(MILLION);
        assertThat(out).allMatch(s -> s.startsWith("2001:db8:0:1:"));
    }

    @Test
    void uuidFpeKeepsAMillionUuidsDistinctAndDecrypts() {
        Fpe fpe = Fpe.of(Fixtures.KEY, "uuid");
        Transformer t = Fixtures.build("uuid_fpe", "uuid", Map.of());
        IntFunction<String> input =
                i -> new java.util.UUID(0x0123_4567_89ab_4defL, 0x8000_0000_0000_0000L | i).toString();
        String[] out = outputs(t, MILLION, input);
        assertThat(distinct(out)).isEqualTo(MILLION);
        for (int i = 0; i < 1000; i++) {
            byte[] back = NetworkTransformers.cryptUuid(fpe, NetworkTransformers.parseUuid(out[i]), false);
            assertThat(NetworkTransformers.format(back)).isEqualTo(input.apply(i));
        }
    }

    @Test
    void keyedEmailHasNoCollisionAmongAMillionAddresses() {
        for (String name : List.of("email", "neosync_email")) {
            Transformer t = Fixtures.build(name, Map.of());
            assertThat(t.uniqueness()).isEqualTo(Uniqueness.PRACTICAL);
            String[] out = outputs(t, MILLION, i -> "person" + i + "@company" + (i % 100) + ".com");
            assertThat(distinct(out)).as(name).isEqualTo(MILLION);
        }
    }

    private static String withLuhn(String body) {
        byte[] b = new byte[body.length()];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (body.charAt(i) - '0');
        }
        return body + Digits.luhnCheckDigit(b);
    }
}
