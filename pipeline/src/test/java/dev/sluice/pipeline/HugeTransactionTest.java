package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A source transaction far larger than the heap streams through: the sink never holds it whole. */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HugeTransactionTest {

    @Test
    void millionRowTransactionStreamsThroughIn256MegabyteHeap() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)
                        .schema("CREATE TABLE wide (id int PRIMARY KEY, a text, b text, n numeric)")) {
            // About 1M rows of ~330 bytes of text each: over 300 MB of values in one transaction.
            source.execute("INSERT INTO wide SELECT i, repeat(md5(i::text), 5), repeat('b', 150), i * 1.5"
                    + " FROM generate_series(1, 1000000) i");
            try (SluiceProcess sluice =
                    SluiceProcess.start(List.of("-Xmx256m"), SluiceProcess.streamOnly(source, target), "run")) {
                replication.awaitCaughtUp(Duration.ofMinutes(3));
                assertThat(sluice.isAlive())
                        .as("no OutOfMemoryError; output:%n%s", sluice.output())
                        .isTrue();
                assertThat(sluice.terminate()).isZero();
            }
            replication.assertSameData("wide");
        }
    }
}
