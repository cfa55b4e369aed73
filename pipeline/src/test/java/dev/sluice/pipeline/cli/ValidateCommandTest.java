package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.TestTransformers;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.rules.TransformerRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice validate}: exit 0 and a summary for valid rules, 2 and every problem by line otherwise. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ValidateCommandTest {

    @TempDir
    Path dir;

    @BeforeEach
    void testTransformers() {
        ValidateCommand.registry = TestTransformers.registry();
    }

    @AfterEach
    void builtins() {
        ValidateCommand.registry = TransformerRegistry.builtins();
    }

    record Result(int code, String out, String err) {}

    private static Result sluice(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SluiceCli.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Path rules(String yaml) throws Exception {
        Path file = dir.resolve("transform.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void validFileOnItsOwnPrintsSummary() throws Exception {
        Path file = rules("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        id: noop
                        email: {name: test_hash, domain: email}
                        name: [test_upper, test_hash]
                """);

        Result r = sluice(TestTransformers.env(TestTransformers.KEY_HEX), "validate", "--transform", file.toString());

        assertThat(r.code()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out())
                .contains("key id "
                        + TestTransformers.keyring(TestTransformers.KEY_HEX).id())
                .contains(file + " is valid (checked on its own; with --source-url, coverage and unique indexes too).")
                .contains("1 table(s) with rules, 3 column rule(s) (2 transformed, 1 noop)")
                .contains("transformers used: noop x1, test_hash x2, test_upper x1");
    }

    @Test
    void invalidFileExitsTwoNamingFileLineTableAndColumn() throws Exception {
        Path file = rules("""
                transformations:
                  table_transformers:
                    - table: users
                      column_transformers:
                        email:
                          name: test_hsah
                """);

        Result r = sluice(Map.of(), "validate", "--transform", file.toString());

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains("note: no key set; run and snapshot need one in SLUICE_KEY");
        assertThat(r.err())
                .startsWith("error: transform.yaml:6: table public.users, column 'email': unknown transformer"
                        + " 'test_hsah' (known: ")
                .contains("did you mean 'test_hash'?");
    }

    @Test
    void withoutRulesFileSaysHowToGiveOne() {
        Result r = sluice(Map.of(), "validate");

        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("pass the rules file with --transform FILE");
    }

    @Test
    void againstTheSourceChecksCoverageAndUniqueIndexes() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, name text, phone text,"
                            + " upper_name text GENERATED ALWAYS AS (upper(name)) STORED)",
                    "CREATE TABLE parts (id int, region text, PRIMARY KEY (id, region)) PARTITION BY LIST (region)",
                    "CREATE TABLE parts_eu PARTITION OF parts FOR VALUES IN ('eu')",
                    "CREATE UNIQUE INDEX users_lower_email ON users (lower(email))");
            Path file = rules("""
                    transformations:
                      validation_mode: strict
                      table_transformers:
                        - table: users
                          column_transformers:
                            id: noop
                            email: test_upper
                            name: test_hash
                        - table: parts_eu
                          column_transformers:
                            id: noop
                    """);

            Result r = sluice(
                    Map.of(),
                    "validate",
                    "--transform",
                    file.toString(),
                    "--source-url",
                    source.url().toUrlWithPassword());

            assertThat(r.code()).isEqualTo(2);
            assertThat(r.err())
                    .startsWith("error: transform.yaml has 3 problems:")
                    .contains("transform.yaml:7: table public.users, column 'email': unique index users_email_key"
                            + " (email) needs distinct values, but transformer 'test_upper' may map distinct values"
                            + " alike")
                    .contains("transform.yaml:9: table public.parts_eu: is a partition of public.parts")
                    // The generated column is computed on the target, never replicated, so it needs no rule.
                    .contains("validation_mode strict: 3 column(s) of replicated tables have no rule; give each a"
                            + " transformer, or noop to pass it through:\n"
                            + "    public.users: phone\n"
                            + "    public.parts (no rules): id, region");

            Files.writeString(file, """
                    transformations:
                      validation_mode: strict
                      table_transformers:
                        - table: users
                          column_transformers:
                            id: noop
                            email: test_hash
                            name: test_upper
                            phone: test_mask
                        - table: parts
                          column_transformers:
                            id: noop
                            region: noop
                    """);
            Result ok = sluice(
                    Map.of(),
                    "validate",
                    "--transform",
                    file.toString(),
                    "--source-url",
                    source.url().toUrlWithPassword());

            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(ok.out())
                    .contains("note: transform.yaml:7: table public.users, column 'email': unique index"
                            + " users_email_key (email): transformer 'test_hash' keeps values distinct in practice")
                    .contains("warning: transform.yaml: table public.users: unique index users_lower_email"
                            + " (<expression>) has expression elements")
                    .contains("source: 2 replicated table(s), 6 of 6 column(s) covered");
        }
    }
}
