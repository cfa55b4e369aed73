package dev.sluice.transform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** The prepared-state HMAC writes what the JDK's {@link Mac} writes, for any key and message. */
class HmacSha256Test {

    private static byte[] reference(byte[] key, byte[]... parts) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        for (byte[] p : parts) {
            mac.update(p);
        }
        return mac.doFinal();
    }

    @Property(tries = 2000)
    void macEqualsTheJdkMac(@ForAll @Size(min = 1, max = 150) byte[] key, @ForAll @Size(max = 300) byte[] message)
            throws Exception {
        HmacSha256 hmac = new HmacSha256(key);
        MessageDigest d = hmac.start();
        d.update(message);
        assertThat(hmac.finish(d)).isEqualTo(reference(key, message));
    }

    @Property(tries = 2000)
    void domainKeyMacEqualsTheJdkMacOfTheLabelledInput(
            @ForAll @Size(value = 32) byte[] domainKey,
            @ForAll @StringLength(max = 40) String purpose,
            @ForAll @StringLength(max = 200) String value)
            throws Exception {
        DomainKey key = new DomainKey("people", domainKey);
        byte[] p = purpose.getBytes(StandardCharsets.UTF_8);
        assertThat(key.mac(purpose, value))
                .isEqualTo(reference(
                        domainKey,
                        new byte[] {(byte) (p.length >>> 8), (byte) p.length},
                        p,
                        value.getBytes(StandardCharsets.UTF_8)));
    }
}
