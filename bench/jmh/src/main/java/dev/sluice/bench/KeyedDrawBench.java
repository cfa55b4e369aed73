package dev.sluice.bench;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Keyring;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import net.datafaker.Faker;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a keyed draw costs and where: {@link DomainKey#mac} as it is (a new {@code Mac} per call)
 * against a {@code Mac} kept per thread, and a Datafaker instance per value (seeded from the MAC,
 * as one would with {@code new Faker(key.random(...))}) against the built-ins' draw from lists
 * read once.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class KeyedDrawBench {

    private DomainKey key;
    private Mac cached;
    private int next;

    @Setup
    public void setUp() throws Exception {
        byte[] master = HexFormat.of().parseHex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
        key = Keyring.of(master).domain("bench");
        cached = Mac.getInstance("HmacSHA256");
        cached.init(new SecretKeySpec(master, "HmacSHA256"));
    }

    private String value() {
        next = (next + 1) & 4095;
        return "value-" + next;
    }

    @Benchmark
    public byte[] domainKeyMac() {
        return key.mac("first_name", value());
    }

    /** The same work with a Mac initialized once per thread: what DomainKey could cache. */
    @Benchmark
    public byte[] cachedMac() {
        byte[] p = "first_name".getBytes(StandardCharsets.UTF_8);
        cached.update((byte) 0);
        cached.update((byte) p.length);
        cached.update(p);
        return cached.doFinal(value().getBytes(StandardCharsets.UTF_8));
    }

    @Benchmark
    public String datafakerPerValue() {
        return new Faker(Locale.ENGLISH, key.random("first_name", value()))
                .name()
                .firstName();
    }
}
