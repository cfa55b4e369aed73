package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.transform.Transformer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.Tuple.Tuple2;

/**
 * Every built-in, configured as in {@link Cases}: deterministic under one key, dependent on the
 * key, consistent across a domain, and writing values of the expected format.
 */
class TransformerPropertiesTest {

    private static final List<Cases.Case> CASES = Cases.all();
    private static final Map<String, Transformer> BUILT = new ConcurrentHashMap<>();

    private static Transformer built(Cases.Case c, String keyName) {
        return BUILT.computeIfAbsent(
                c + "|" + keyName,
                k -> Fixtures.build(
                        c.name(),
                        c.type(),
                        c.params(),
                        switch (keyName) {
                            case "other" -> Fixtures.OTHER_KEY;
                            case "again" -> Fixtures.KEYRING.domain("people");
                            case "sibling" -> Fixtures.KEYRING.domain("orders");
                            default -> Fixtures.KEY;
                        }));
    }

    @Provide
    Arbitrary<Tuple2<Cases.Case, String>> samples() {
        return Arbitraries.of(CASES).flatMap(c -> c.inputs().map(v -> Tuple.of(c, v)));
    }

    @Provide
    Arbitrary<Tuple2<Cases.Case, List<String>>> batches() {
        return Arbitraries.of(CASES.stream().filter(Cases.Case::keyed).toList())
                .flatMap(c -> c.inputs()
                        .list()
                        .ofMinSize(40)
                        .ofMaxSize(60)
                        .map(v -> Tuple.of(c, v.stream().distinct().toList())));
    }

    @Property(tries = 3000)
    void sameValueSameKeySameOutput(@ForAll("samples") Tuple2<Cases.Case, String> s) {
        String first = built(s.get1(), "key").apply(s.get2());
        assertThat(built(s.get1(), "key").apply(s.get2()))
                .as(s.get1().toString())
                .isEqualTo(first);
        assertThat(built(s.get1(), "again").apply(s.get2()))
                .as("a transformer built again from the same domain key: " + s.get1())
                .isEqualTo(first);
    }

    @Property(tries = 3000)
    void outputHasTheExpectedFormat(@ForAll("samples") Tuple2<Cases.Case, String> s) {
        String out = built(s.get1(), "key").apply(s.get2());
        assertThat(out).as("%s: %s", s.get1(), s.get2()).isNotNull();
        assertThat(s.get1().valid().test(s.get2(), out))
                .as("%s: %s -> %s", s.get1(), s.get2(), out)
                .isTrue();
    }

    /** Another key or another domain gives other outputs, but for the odd coincidence in small spaces. */
    @Property(tries = 300)
    void anotherKeyOrDomainGivesOtherOutputs(@ForAll("batches") Tuple2<Cases.Case, List<String>> b) {
        int sameUnderOtherKey = 0;
        int sameInOtherDomain = 0;
        for (String v : b.get2()) {
            String out = built(b.get1(), "key").apply(v);
            sameUnderOtherKey += out.equals(built(b.get1(), "other").apply(v)) ? 1 : 0;
            sameInOtherDomain += out.equals(built(b.get1(), "sibling").apply(v)) ? 1 : 0;
        }
        int tolerance = Math.max(6, b.get2().size() / 4);
        assertThat(sameUnderOtherKey)
                .as("same output under another key: " + b.get1())
                .isLessThanOrEqualTo(tolerance);
        assertThat(sameInOtherDomain)
                .as("same output in another domain: " + b.get1())
                .isLessThanOrEqualTo(tolerance);
    }

    /** Keyed transformers never pass a value through unchanged, but for coincidences in small spaces. */
    @Property(tries = 300)
    void keyedTransformersChangeValues(@ForAll("batches") Tuple2<Cases.Case, List<String>> b) {
        long unchanged = b.get2().stream()
                .filter(v -> v.equals(built(b.get1(), "key").apply(v)))
                .count();
        assertThat(unchanged)
                .as("values passed unchanged: " + b.get1())
                .isLessThanOrEqualTo(Math.max(6, b.get2().size() / 4));
    }
}
