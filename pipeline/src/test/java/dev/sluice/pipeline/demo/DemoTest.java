package dev.sluice.pipeline.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.branching.Branch;
import dev.sluice.core.PgUrl;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.TransformerRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo brings up its servers, streams its load, reports progress, and leaves the target equal to
 * the source except for the customers' personal data, which its rules anonymize while orders still
 * join their customers.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class DemoTest {

    @TempDir
    Path dir;

    @Test
    void demoStreamsItsLoadAnonymizesCustomersAndJoinsStillMatch() throws Exception {
        StringWriter text = new StringWriter();
        try (Demo demo = new Demo(dir.resolve("demo"), new PrintWriter(text, true)).transformers(transformers())) {
            demo.start(0, 100);
            demo.report(Duration.ofSeconds(1), Duration.ofSeconds(4));
            demo.stopLoad();
            // Everything but the customers' personal data arrives as it is.
            List<String> same = List.of(
                    "SELECT id, created_at FROM customers", "SELECT * FROM orders", "SELECT * FROM order_items");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!checksums(demo.sourceUrl(), same).equals(checksums(demo.targetUrl(), same))) {
                assertThat(System.nanoTime())
                        .as("target caught up with the source")
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
            assertThat(count(demo.targetUrl(), "customers")).isGreaterThanOrEqualTo(1_000);
            assertThat(demo.pipeline().sinkStats().rowsApplied.get())
                    .as("streamed after the snapshot")
                    .isPositive();

            String byId = "SELECT email FROM customers ORDER BY id";
            List<String> sourceEmails = list(demo.sourceUrl(), byId);
            List<String> targetEmails = list(demo.targetUrl(), byId);
            assertThat(targetEmails).hasSameSizeAs(sourceEmails).doesNotContainAnyElementsOf(sourceEmails);
            assertThat(list(demo.targetUrl(), "SELECT count(DISTINCT email) FROM customers"))
                    .containsExactly(String.valueOf(targetEmails.size()));
            String perCustomer = "SELECT c.id || ':' || count(o.id) FROM customers c LEFT JOIN orders o"
                    + " ON o.customer_id = c.id GROUP BY c.id ORDER BY c.id";
            assertThat(list(demo.targetUrl(), perCustomer)).isEqualTo(list(demo.sourceUrl(), perCustomer));
            String names = "SELECT first_name || ' ' || last_name FROM customers ORDER BY id";
            assertThat(list(demo.targetUrl(), names)).isNotEqualTo(list(demo.sourceUrl(), names));
            assertThat(Files.readString(dir.resolve("demo/demo.key")).strip()).matches("[0-9a-f]{64}");
            // The printout shows the first customer on both sides.
            assertThat(text.toString())
                    .containsPattern("\\n  source +1 +\\S+ +\\S+ +" + Pattern.quote(sourceEmails.get(0)))
                    .containsPattern("\\n  main +1 +\\S+ +\\S+ +" + Pattern.quote(targetEmails.get(0)));

            // The branch the demo made is a writable copy of main that main never sees written.
            Branch branch = demo.store().find("demo").orElseThrow();
            assertThat(list(branch.url(), "SELECT count(*) FROM customers").get(0))
                    .isNotEqualTo("0");
            try (Connection c = DriverManager.getConnection(
                            branch.url().jdbcUrl(), branch.url().properties());
                    Statement st = c.createStatement()) {
                st.execute("UPDATE customers SET email = 'branch-only@example.com' WHERE id = 1");
            }
            assertThat(list(demo.targetUrl(), "SELECT email FROM customers WHERE id = 1"))
                    .containsExactly(targetEmails.get(0));
        }
        assertThat(text.toString())
                .contains("Anonymizing customers in flight with ")
                .contains("under a DEMO key generated for this demo only")
                .contains("Sluice demo is streaming")
                .contains("psql 'postgres://")
                .containsPattern("Created branch 'demo' of main in [\\d.]+ s")
                .contains("bin/sluice branch create my-feature")
                .containsPattern("rows replicated [\\d,]+ \\([\\d,]+/s\\) \\| transactions [\\d,]+ \\| lag");
    }

    /**
     * The built-in transformers, plus stand-ins for those the demo's rules name that this build's
     * library does not have yet: injective, so the unique email column stays unique.
     */
    private static TransformerRegistry transformers() throws IOException {
        TransformerRegistry builtins = TransformerRegistry.builtins();
        String yaml;
        try (InputStream in = Demo.class.getResourceAsStream("transform.yaml")) {
            yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<TransformerFactory> missing = Rules.parse("transform.yaml", yaml).tables().stream()
                .flatMap(t -> t.columns().values().stream())
                .flatMap(c -> c.steps().stream())
                .map(Rules.Step::name)
                .distinct()
                .filter(n -> builtins.find(n).isEmpty())
                .map(DemoTest::standIn)
                .toList();
        return builtins.with(missing);
    }

    private static TransformerFactory standIn(String name) {
        return new TransformerFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Transformer create(TransformerContext context) {
                // The demo's one parameter.
                context.parameters().raw("keep_prefix");
                context.parameters().requireAllUsed();
                return new Transformer() {
                    @Override
                    public String apply(String value) {
                        return "~" + new StringBuilder(value).reverse();
                    }

                    @Override
                    public Uniqueness uniqueness() {
                        return Uniqueness.GUARANTEED;
                    }
                };
            }
        };
    }

    private static List<String> list(PgUrl url, String sql) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<String> checksums(PgUrl url, List<String> queries) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                Statement st = c.createStatement()) {
            return queries.stream()
                    .map(q -> {
                        try (ResultSet rs = st.executeQuery("SELECT md5(coalesce(string_agg(x::text, '\n' ORDER BY"
                                + " x::text COLLATE \"C\"), '')) FROM (" + q + ") x")) {
                            rs.next();
                            return rs.getString(1);
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .toList();
        }
    }

    private static long count(PgUrl url, String table) throws SQLException {
        try (Connection c = DriverManager.getConnection(url.jdbcUrl(), url.properties());
                Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
