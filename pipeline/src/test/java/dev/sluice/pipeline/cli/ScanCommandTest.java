package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.scan.StandInTransformers;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.rules.Rules;
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

/** {@code sluice scan}: rules to stdout or a file, progress and summary beside them, no sampled value printed. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ScanCommandTest {

    @TempDir
    Path dir;

    @BeforeEach
    void standIns() {
        ScanCommand.registry = StandInTransformers.registry();
    }

    @AfterEach
    void builtins() {
        ScanCommand.registry = TransformerRegistry.builtins();
    }

    record Result(int code, String out, String err) {}

    private static Result sluice(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SluiceCli.run(args, Map.of(), new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void rulesGoToStdoutOrToAFileThatIsNotOverwritten() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE TABLE users (id bigint PRIMARY KEY, email text UNIQUE, phone text, note text)",
                    "CREATE TABLE audit (id bigint PRIMARY KEY, at timestamptz)",
                    "INSERT INTO users SELECT i, 'secret' || i || '@example.com', '+44 20 7946 ' || (1000 + i),"
                            + " 'plain note' FROM generate_series(1, 100) i");
            String url = source.url().toUrlWithPassword();

            Result stdout = sluice("scan", "--source-url", url, "--tables", "public.users", "--sample", "50");

            assertThat(stdout.code()).as(stdout.err()).isZero();
            assertThat(stdout.out()).startsWith("# Anonymization rules proposed by `sluice scan`");
            Rules rules = Rules.parse("stdout", stdout.out());
            assertThat(rules.tables())
                    .singleElement()
                    .satisfies(t -> assertThat(t.columns()).containsOnlyKeys("id", "email", "phone", "note"));
            assertThat(stdout.err())
                    .contains("public.users: 50 rows sampled (read whole")
                    .contains("The proposal compiles against the source")
                    .contains("1 table(s), 4 column(s): 2 transformed, 2 noop (email_fpe x1, phone x1)");

            Path file = dir.resolve("transform.yaml");
            Result written = sluice("scan", "--source-url", url, "-o", file.toString());
            assertThat(written.code()).as(written.err()).isZero();
            assertThat(written.out())
                    .contains("Wrote " + file + ".")
                    .contains("2 table(s), 6 column(s): 2 transformed, 4 noop");
            assertThat(Files.readString(file)).contains("table: audit").contains("email: email_fpe");
            for (Result r : new Result[] {stdout, written}) {
                assertThat(r.err() + r.out()).doesNotContain("secret1").doesNotContain("7946 1001");
            }

            Result again = sluice("scan", "--source-url", url, "-o", file.toString());
            assertThat(again.code()).isEqualTo(2);
            assertThat(again.err())
                    .contains(file + " exists; scan does not overwrite rules")
                    .contains("--force");
            assertThat(sluice("scan", "--source-url", url, "-o", file.toString(), "--force")
                            .code())
                    .isZero();
        }
        Result none = sluice("scan");
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err()).contains("Nothing to scan: pass the source with --source-url URL");
    }
}
