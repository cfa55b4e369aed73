package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.pipeline.TestTransformers;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import dev.sluice.transform.rules.TransformerRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice verify}: passes a properly anonymized target, and fails with exit 9 and counts per
 * column, never a value, when a transformed column holds source values; by row when the key passes
 * through, by value when it is transformed; arrays element by element; NULLs ignored.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class VerifyCommandTest {

    private static final String RULES = """
            transformations:
              validation_mode: strict
              table_transformers:
                - table: users
                  column_transformers:
                    id: noop
                    email: {name: test_hash, domain: email}
                    name: test_upper
                    bio: test_mask
                    tags: test_upper
                    status: test_keep
                    age: noop
                - table: visits
                  column_transformers:
                    email: {name: test_hash, domain: email}
                    ip: test_hash
            """;

    private static final String[] SCHEMA = {
        "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, name text, bio text, tags text[], status text,"
                + " age int)",
        // The key is transformed, so rows cannot be matched by it: values are compared as sets.
        "CREATE TABLE visits (email text PRIMARY KEY, ip text)"
    };

    @TempDir
    Path dir;

    @BeforeEach
    void testTransformers() {
        VerifyCommand.registry = TestTransformers.registry().with(List.of(new KeepsSomeValues()));
    }

    @AfterEach
    void builtins() {
        VerifyCommand.registry = TransformerRegistry.builtins();
    }

    record Result(int code, String out, String err) {}

    private static Result sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SluiceCli.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Result verify(TestDatabase source, TestDatabase target, String... more) throws Exception {
        Path rules = dir.resolve("transform.yaml");
        Files.writeString(rules, RULES);
        List<String> args = new java.util.ArrayList<>(List.of(
                "verify",
                "--source-url",
                source.url().toUrlWithPassword(),
                "--target-url",
                target.url().toUrlWithPassword(),
                "--transform",
                rules.toString()));
        args.addAll(List.of(more));
        return sluice(args.toArray(String[]::new));
    }

    /** 200 users and 50 visits on the source; the target holds them anonymized as the rules say. */
    private static void seed(TestDatabase source, TestDatabase target) {
        source.execute(SCHEMA);
        target.execute(SCHEMA);
        source.execute(
                "INSERT INTO users SELECT i, 'user' || i || '@example.com', 'name ' || i,"
                        + " CASE WHEN i % 4 = 0 THEN NULL ELSE 'bio ' || i END, ARRAY['tag' || i, 'common'],"
                        + " CASE WHEN i % 10 = 0 THEN 'keep' ELSE 'status ' || i END, i FROM generate_series(1, 200) i",
                "INSERT INTO visits SELECT 'user' || i || '@example.com', '10.0.0.' || i FROM generate_series(1, 50) i");
        target.execute(
                "INSERT INTO users SELECT i, 'h' || md5('user' || i), 'NAME ' || i,"
                        + " CASE WHEN i % 4 = 0 THEN NULL ELSE '***' END, ARRAY['TAG' || i, 'COMMON'],"
                        + " CASE WHEN i % 10 = 0 THEN 'keep' ELSE 'kept ' || i END, i FROM generate_series(1, 200) i",
                "INSERT INTO visits SELECT 'h' || md5('user' || i), 'h' || md5('ip' || i) FROM generate_series(1, 50) i");
    }

    @Test
    void anonymizedTargetPassesWithCountsPerColumn() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            seed(source, target);

            Result r = verify(source, target);

            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out())
                    .containsPattern("public\\.users\\s+email\\s+test_hash\\s+by row\\s+200\\s+200\\s+0\\s+ok")
                    // NULLs are not compared.
                    .containsPattern("public\\.users\\s+bio\\s+test_mask\\s+by row\\s+150\\s+150\\s+0\\s+ok")
                    // Arrays element by element.
                    .containsPattern("public\\.users\\s+tags\\s+test_upper\\s+by row\\s+400\\s+400\\s+0\\s+ok")
                    // Values the transformer keeps by design are reported, not failed.
                    .containsPattern(
                            "public\\.users\\s+status\\s+test_keep\\s+by row\\s+200\\s+200\\s+20\\s+kept by rule")
                    .containsPattern("public\\.visits\\s+email\\s+test_hash\\s+by value\\s+50\\s+50\\s+0\\s+ok")
                    .contains("No leak: no source value of the 7 transformed column(s) checked was found unchanged in"
                            + " the target; 1 column(s) keep some values by their rule.");
        }
    }

    @Test
    void leakingColumnExitsNineWithCountsAndNoValues() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            seed(source, target);
            // A rule that was not applied to five rows, and one array element copied raw.
            target.execute(
                    "UPDATE users SET name = 'name ' || id WHERE id <= 5",
                    "UPDATE users SET tags = ARRAY['tag7', 'COMMON'] WHERE id = 7",
                    // Moved to another row: compared by row, this is no leak of that row's value.
                    "UPDATE users SET email = 'user1@example.com' WHERE id = 2",
                    // Compared by value: a source value anywhere in the column counts.
                    "UPDATE visits SET ip = '10.0.0.3' WHERE email = (SELECT min(email) FROM visits)");

            Result r = verify(source, target);

            assertThat(r.code()).as(r.out() + r.err()).isEqualTo(9);
            assertThat(r.out())
                    .containsPattern("public\\.users\\s+name\\s+test_upper\\s+by row\\s+200\\s+200\\s+5\\s+LEAK")
                    .containsPattern("public\\.users\\s+tags\\s+test_upper\\s+by row\\s+400\\s+400\\s+1\\s+LEAK")
                    .containsPattern("public\\.users\\s+email\\s+test_hash\\s+by row\\s+200\\s+200\\s+0\\s+ok")
                    .containsPattern("public\\.visits\\s+ip\\s+test_hash\\s+by value\\s+50\\s+50\\s+1\\s+LEAK")
                    .contains(
                            "LEAK: 3 of 7 transformed column(s) hold source values unchanged in the target:"
                                    + " public.users.name (5 of 200), public.users.tags (1 of 400), public.visits.ip (1 of 50)");
            assertThat(r.out() + r.err())
                    .doesNotContain("name 1")
                    .doesNotContain("tag7")
                    .doesNotContain("10.0.0.3")
                    .doesNotContain("@example.com");

            Result json = verify(source, target, "--json");
            assertThat(json.code()).isEqualTo(9);
            JsonNode report = new ObjectMapper().readTree(json.out());
            assertThat(report.get("ok").asBoolean()).isFalse();
            assertThat(report.get("exit_code").asInt()).isEqualTo(9);
            JsonNode name = null;
            for (JsonNode c : report.get("columns")) {
                if (c.get("column").asText().equals("name")) {
                    name = c;
                }
            }
            assertThat(name).isNotNull();
            assertThat(name.get("table").asText()).isEqualTo("users");
            assertThat(name.get("values").asLong()).isEqualTo(200);
            assertThat(name.get("unchanged").asLong()).isEqualTo(5);
            assertThat(name.get("unchanged_distinct").asLong()).isEqualTo(5);
            assertThat(name.get("status").asText()).isEqualTo("leak");
            assertThat(name.get("compared").asText()).isEqualTo("row");

            // Five of 200 is 2.5%: within a tolerance of 3% the name column passes; the others do not.
            Result tolerant = verify(source, target, "--tolerance", "3");
            assertThat(tolerant.out())
                    .containsPattern("public\\.users\\s+name\\s+test_upper\\s+by row\\s+200\\s+200\\s+5\\s+tolerated");
        }
    }

    @Test
    void tablesMissingOnTheTargetAreSkippedAndMissingOptionsSaySo() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute(SCHEMA);
            target.execute(SCHEMA[0]);

            Result r = verify(source, target);

            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out())
                    .containsPattern("public\\.visits\\s+ip\\s+test_hash\\s+by value\\s+0\\s+0\\s+0\\s+skipped \\(table"
                            + " not on the target\\)")
                    .contains("2 column(s) not on the target were skipped");
        }
        Result none = sluice("verify", "--transform", "x.yaml");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err())
                .contains("verify compares a source with a target: pass both --source-url and --target-url");
    }

    /** Keeps values spelled {@code keep}, as a transformer with an exclusion list does. */
    private static final class KeepsSomeValues implements TransformerFactory {
        @Override
        public String name() {
            return "test_keep";
        }

        @Override
        public Transformer create(TransformerContext context) {
            context.parameters().requireAllUsed();
            return new Transformer() {
                @Override
                public String apply(String value) {
                    return value.equals("keep") ? value : "kept " + value;
                }

                @Override
                public boolean mayKeepValues() {
                    return true;
                }
            };
        }
    }
}
