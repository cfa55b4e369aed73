package dev.sluice.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.pipeline.config.SluiceConfig;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * `run` against an empty target copies schema and rows under a snapshot, then streams, while the
 * source takes writes the whole time; a restart streams on without copying again; a target that
 * already holds tables is refused.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class RunWithSnapshotTest {

    private static final String[] SOURCE_SCHEMA = {
        "CREATE TYPE status AS ENUM ('new', 'paid')",
        "CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text UNIQUE)",
        "CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers,"
                + " status status NOT NULL DEFAULT 'new', total numeric(10, 2))",
        "CREATE INDEX orders_by_customer ON orders (customer_id)",
        Replication.MARKER_DDL
    };

    @Test
    void emptyTargetGetsSchemaAndRowsThenStreams() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase();
                Replication replication = new Replication(source, target)) {
            source.execute(SOURCE_SCHEMA);
            source.execute(
                    "INSERT INTO customers (email) SELECT 'c' || i FROM generate_series(1, 2000) i",
                    "INSERT INTO orders (customer_id, total) SELECT 1 + i % 2000, i FROM generate_series(1, 20000) i");
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> write(source, stop), "writer");
            writer.start();
            Pipeline first = pipeline(source, target);
            Pipeline second = pipeline(source, target);
            try {
                CompletableFuture<Void> run = background(first);
                replication.awaitCaughtUp(Duration.ofMinutes(1));
                first.stop();
                run.get(30, TimeUnit.SECONDS);
                // Restarted: streams on from the recorded position, no second copy.
                CompletableFuture<Void> again = background(second);
                Thread.sleep(500);
                stop.set(true);
                writer.join();
                replication.awaitCaughtUp(Duration.ofMinutes(1));
                second.stop();
                again.get(30, TimeUnit.SECONDS);
            } finally {
                stop.set(true);
                writer.join();
                first.stop();
                second.stop();
            }
            replication.assertSameData("customers", "orders");
            assertThat(target.queryForString("SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_by_customer'"))
                    .isEqualTo("1");
            assertThat(target.queryForString("SELECT count(*) FROM pg_constraint WHERE contype = 'f'"))
                    .isEqualTo("1");
        }
    }

    @Test
    void targetWithTablesOfItsOwnIsRefused() {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SOURCE_SCHEMA);
            target.execute("CREATE TABLE precious (id int)");
            assertThatThrownBy(() -> pipeline(source, target).run())
                    .isInstanceOf(SluiceException.class)
                    .hasMessageContaining("already holds 1 table(s) Sluice did not create (public.precious)")
                    .hasMessageContaining("--snapshot none");
            assertThat(target.queryForString("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"))
                    .isEqualTo("1");
            source.execute("DROP PUBLICATION IF EXISTS sluice");
        }
    }

    private static Pipeline pipeline(TestDatabase source, TestDatabase target) {
        SluiceConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        Setting.SOURCE_URL, source.url().toUrlWithPassword(),
                        Setting.TARGET_URL, target.url().toUrlWithPassword(),
                        Setting.METRICS_PORT, "0"));
        return new Pipeline(config, new SimpleMeterRegistry());
    }

    private static CompletableFuture<Void> background(Pipeline pipeline) {
        return CompletableFuture.runAsync(pipeline::run, r -> new Thread(r, "pipeline-under-test").start());
    }

    private static void write(TestDatabase source, AtomicBoolean stop) {
        try (Connection c = source.connect();
                Statement st = c.createStatement()) {
            for (int i = 1; !stop.get(); i++) {
                st.execute("INSERT INTO customers (email) VALUES ('live" + i + "')");
                st.execute("UPDATE orders SET status = 'paid', total = total + 1 WHERE id = " + (1 + i * 13 % 20000));
                st.execute("INSERT INTO orders (customer_id, total) VALUES (" + (1 + i % 2000) + ", " + i + ")");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
