package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.transform.Transformer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Transformers are called from several threads at once and give what one thread gets. */
class ConcurrencyTest {

    @Test
    @Timeout(60)
    void manyThreadsGetWhatOneThreadGets() throws Exception {
        Map<String, Map<String, Object>> names = Map.of(
                "email_fpe", Map.of(),
                "integer_fpe", Map.of(),
                "first_name", Map.of(),
                "address", Map.of(),
                "ip", Map.of(),
                "json",
                        Map.of(
                                "operations",
                                List.of(Map.of(
                                        "operation",
                                        "transform",
                                        "path",
                                        "a",
                                        "transformer",
                                        Map.of("name", "phone_fpe")))));
        Map<String, java.util.function.IntFunction<String>> inputs = Map.of(
                "email_fpe", i -> "user" + i + "@x.com",
                "integer_fpe", i -> Integer.toString(i * 37),
                "first_name", i -> "n" + i,
                "address", i -> i + " Elm St",
                "ip", i -> "10.0." + (i % 256) + "." + (i / 256 % 256),
                "json", i -> "{\"a\":\"555-" + i + "\"}");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (String name : names.keySet()) {
                Transformer t = Fixtures.build(name, names.get(name));
                List<String> expected = IntStream.range(0, 2000)
                        .mapToObj(i -> Fixtures.build(name, names.get(name))
                                .apply(inputs.get(name).apply(i)))
                        .toList();
                List<Future<Boolean>> runs = IntStream.range(0, 8)
                        .mapToObj(k -> pool.submit(() -> IntStream.range(0, 2000)
                                .map(i -> (i * 7 + k * 13) % 2000)
                                .allMatch(
                                        i -> t.apply(inputs.get(name).apply(i)).equals(expected.get(i)))))
                        .toList();
                for (Future<Boolean> run : runs) {
                    assertThat(run.get()).as(name).isTrue();
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
