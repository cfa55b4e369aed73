package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * IPv4 addresses without a mask take a path in {@code int} arithmetic with a range kept per
 * prefix; it must be the very permutation the bit-array path makes, which masks and IPv6 still take.
 */
class Ipv4PathTest {

    private static final Fpe FPE = Fpe.of(Fixtures.KEY, "ip");

    @Property(tries = 3000)
    void theIntegerPathEncryptsAsTheBitPathDoes(
            @ForAll int address, @ForAll @IntRange(min = 0, max = 32) int keep, @ForAll boolean padded) {
        String ip = dotted(address, padded);
        NetworkTransformers.Ipv4 v4 = new NetworkTransformers.Ipv4(FPE, keep);
        String encrypted = v4.crypt(ip, true);
        assertThat(encrypted).isEqualTo(NetworkTransformers.crypt(FPE, ip, keep, 0, false, true));
        assertThat(v4.crypt(encrypted, false)).isEqualTo(dotted(address, false));
        // Asked again, the kept range gives the same answer.
        assertThat(v4.crypt(ip, true)).isEqualTo(encrypted);
    }

    /** The address as dotted octets, with leading zeros when {@code padded}. */
    private static String dotted(int address, boolean padded) {
        StringBuilder b = new StringBuilder();
        for (int shift = 24; shift >= 0; shift -= 8) {
            int octet = (address >>> shift) & 0xff;
            b.append(padded ? String.format("%03d", octet) : String.valueOf(octet));
            if (shift > 0) {
                b.append('.');
            }
        }
        return b.toString();
    }
}
