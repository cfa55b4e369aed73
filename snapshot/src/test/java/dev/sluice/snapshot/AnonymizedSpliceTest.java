package dev.sluice.snapshot;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableId;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import dev.sluice.core.spi.Processor;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.Anonymizer;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.security.SecureRandom;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * With the real anonymizer and rules like the snapshot benchmark's for {@code orders}, splicing
 * decodes only the transformed columns and writes what the full path wrote.
 */
class AnonymizedSpliceTest {

    static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: orders
                  column_transformers:
                    id: noop
                    customer_id: noop
                    status: noop
                    currency: noop
                    total: noop
                    created_at: timestamp_shift
                    shipped_at: timestamp_shift
                    note: text
            """;

    /** The benchmark's {@code orders}, and a column {@code secret} no rule covers (strict mode: NULL). */
    static final Relation ORDERS = new Relation(
            1,
            new TableId("public", "orders"),
            ReplicaIdentity.DEFAULT,
            List.of(
                    new Relation.Column("id", 20, -1, true),
                    new Relation.Column("customer_id", 20, -1, false),
                    new Relation.Column("status", 25, -1, false),
                    new Relation.Column("currency", 1042, 7, false),
                    new Relation.Column("total", 1700, 786438, false),
                    new Relation.Column("created_at", 1184, -1, false),
                    new Relation.Column("shipped_at", 1184, -1, false),
                    new Relation.Column("note", 25, -1, false),
                    new Relation.Column("secret", 25, -1, false)));

    static Anonymizer anonymizer() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return CompiledRules.compile(
                        Rules.parse("transform.yaml", RULES), TransformerRegistry.builtins(), Keyring.of(key), null)
                .anonymizer(new Anonymizer.Stats());
    }

    private static final Anonymizer ANONYMIZER = anonymizer();

    @Test
    void onlyTheTransformedColumnsAndTheOneStrictModeNullsAreDecoded() {
        assertThat(new RowSplicer(ORDERS, List.of(ANONYMIZER), 16).decodedColumns())
                .containsExactly(5, 6, 7, 8);
    }

    @Provide
    Arbitrary<String[]> orders() {
        Arbitrary<String> timestamp = Combinators.combine(
                        Arbitraries.integers().between(1990, 2030),
                        Arbitraries.integers().between(1, 12),
                        Arbitraries.integers().between(1, 28),
                        Arbitraries.integers().between(0, 86_399),
                        Arbitraries.of("", ".5", ".123456"),
                        Arbitraries.of("+00", "+02", "-07:30"))
                .as((y, m, d, s, f, z) -> String.format(
                        "%04d-%02d-%02d %02d:%02d:%02d%s%s", y, m, d, s / 3600, s / 60 % 60, s % 60, f, z));
        return Combinators.combine(List.of(
                        Arbitraries.longs().between(1, Long.MAX_VALUE).map(String::valueOf),
                        Arbitraries.longs().between(1, 250_000).map(String::valueOf),
                        Arbitraries.of("delivered", "shipped", "new"),
                        Arbitraries.of("EUR", "USD", "GBP"),
                        Arbitraries.integers()
                                .between(0, 9_999_999)
                                .map(c -> c / 100 + "." + String.format("%02d", c % 100)),
                        timestamp,
                        timestamp.injectNull(0.2),
                        RowSplicerTest.sourceValues(),
                        RowSplicerTest.sourceValues()))
                .as(values -> values.toArray(String[]::new));
    }

    @Property(tries = 300)
    void anonymizedRowsAreByteIdenticalToFullyParsedOnes(@ForAll("orderBatches") List<String[]> rows) {
        List<byte[]> lines = rows.stream().map(RowSplicerTest::line).toList();
        List<Processor> processors = List.of(ANONYMIZER);

        assertThat(new String(RowSplicerTest.splicePath(ORDERS, processors, lines), UTF_8))
                .isEqualTo(new String(RowSplicerTest.fullPath(ORDERS, processors, lines), UTF_8));
    }

    @Provide
    Arbitrary<List<String[]>> orderBatches() {
        return orders().list().ofMinSize(1).ofMaxSize(20);
    }
}
