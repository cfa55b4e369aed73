package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.branching.BranchException;
import dev.sluice.pipeline.api.ApiServer;
import dev.sluice.pipeline.api.InMemoryBranches;
import dev.sluice.pipeline.api.ListenAddress;
import dev.sluice.pipeline.cli.CliErrorsTest.Result;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** `sluice branch ...` against a real API server over branches kept in memory. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class BranchCommandTest {

    private static final String TOKEN = "cli-test-token-0123";

    private final InMemoryBranches branches = new InMemoryBranches();
    private ApiServer server;
    private Map<String, String> env;

    @BeforeEach
    void start() {
        server = ApiServer.start(new ListenAddress("127.0.0.1", 0), TOKEN, branches);
        env = Map.of("SLUICE_API_URL", "http://127.0.0.1:" + server.port(), "SLUICE_API_TOKEN", TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Result sluice(String... args) {
        return CliErrorsTest.sluice(env, args);
    }

    @Test
    void createPrintsTheConnectionStringAloneOnStdout() {
        Result r = sluice("branch", "create", "pr-42", "--ttl", "7d", "--schema-only");
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo("postgres://branch_pr_42:pw-pr-42@127.0.0.1:15433/app" + System.lineSeparator());
        assertThat(r.err()).startsWith("Created branch pr-42 from main, expires ");
        assertThat(branches.find("pr-42").orElseThrow().schemaOnly()).isTrue();
        assertThat(branches.find("pr-42").orElseThrow().expiresAt()).isPresent();
    }

    @Test
    void createOfATakenNameFailsUnlessIfNotExists() {
        assertThat(sluice("branch", "create", "pr-1").code()).isZero();
        Result again = sluice("branch", "create", "pr-1");
        assertThat(again.code()).isNotZero();
        assertThat(again.out()).isEmpty();
        assertThat(again.err())
                .isEqualTo("error: branch 'pr-1' already exists: pass --if-not-exists to use it, or delete it first"
                        + System.lineSeparator());
        Result reuse = sluice("branch", "create", "pr-1", "--if-not-exists");
        assertThat(reuse.code()).isZero();
        assertThat(reuse.out())
                .isEqualTo("postgres://branch_pr_1:pw-pr-1@127.0.0.1:15433/app" + System.lineSeparator());
    }

    @Test
    void createFromAnUnknownParentSaysSo() {
        Result r = sluice("branch", "create", "pr-2", "--from", "nope");
        assertThat(r.code()).isNotZero();
        assertThat(r.err()).contains("no branch 'nope' to clone from");
    }

    @Test
    void aBadTtlOrNameIsRefusedWithTheValue() {
        Result ttl = sluice("branch", "create", "pr-3", "--ttl", "soon");
        assertThat(ttl.code()).isEqualTo(2);
        assertThat(ttl.err()).startsWith("error: --ttl 'soon' is not allowed: expected a positive duration");
        Result name = sluice("branch", "create", "PR 3");
        assertThat(name.code()).isEqualTo(2);
        assertThat(name.err()).startsWith("error: branch name 'PR 3' is not allowed");
        assertThat(branches.list()).hasSize(1);
    }

    @Test
    void listMasksPasswordsAndJsonCarriesThem() {
        sluice("branch", "create", "pr-4");
        Result text = sluice("branch", "list");
        assertThat(text.code()).isZero();
        assertThat(text.out())
                .contains("NAME")
                .contains("postgres://branch_pr_4:***@127.0.0.1:15433/app")
                .contains("2026-01-01T00:00:00Z")
                .doesNotContain("pw-pr-4")
                .doesNotContain("main-secret");
        Result json = sluice("branch", "list", "--json");
        assertThat(json.code()).isZero();
        assertThat(json.out())
                .contains("\"databaseURL\" : \"postgres://branch_pr_4:pw-pr-4@127.0.0.1:15433/app\"")
                .contains("\"name\" : \"main\"");
    }

    @Test
    void urlAndResetPrintTheConnectionString() {
        sluice("branch", "create", "pr-5");
        assertThat(sluice("branch", "url", "pr-5").out()).contains("pw-pr-5");
        Result reset = sluice("branch", "reset", "pr-5");
        assertThat(reset.code()).isZero();
        assertThat(reset.out()).contains("pw-pr-5");
        Result unknown = sluice("branch", "url", "ghost");
        assertThat(unknown.code()).isNotZero();
        assertThat(unknown.err()).contains("no branch 'ghost'");
        assertThat(sluice("branch", "reset", "ghost").err()).contains("no branch 'ghost'");
    }

    @Test
    void deleteRemovesTheBranchAndSaysWhenThereIsNone() {
        sluice("branch", "create", "pr-6");
        sluice("branch", "create", "pr-6-child", "--from", "pr-6");
        Result refused = sluice("branch", "delete", "pr-6");
        assertThat(refused.code()).isNotZero();
        assertThat(refused.err()).contains("has branches cloned from it");
        assertThat(sluice("branch", "delete", "pr-6", "--force").code()).isZero();
        assertThat(branches.forcedDeletes()).containsExactly("pr-6");
        Result again = sluice("branch", "delete", "pr-6");
        assertThat(again.code()).isNotZero();
        assertThat(again.err()).contains("no branch 'pr-6'");
        assertThat(sluice("branch", "delete", "pr-6", "--if-exists").code()).isZero();
    }

    @Test
    void aStoreFailureExits1WithTheStoresMessage() {
        branches.failNextCreate(new BranchException(BranchException.Kind.FAILED, "clone of main failed: disk full"));
        Result r = sluice("branch", "create", "pr-8");
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("error: clone of main failed: disk full" + System.lineSeparator());
    }

    @Test
    void anUnreachableApiIsNamed() {
        Result r = CliErrorsTest.sluice(
                Map.of("SLUICE_API_TOKEN", TOKEN), "branch", "list", "--api-url", "http://127.0.0.1:1");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err())
                .startsWith("error: Cannot reach the branch API at http://127.0.0.1:1 (")
                .contains("sluice serve --store PATH")
                .doesNotContain("\tat ");
    }

    @Test
    void aWrongTokenSaysToSetSluiceApiTokenWithoutShowingIt() {
        Result r = CliErrorsTest.sluice(
                Map.of("SLUICE_API_URL", env.get("SLUICE_API_URL"), "SLUICE_API_TOKEN", "wrong-token-xyz"),
                "branch",
                "create",
                "pr-7");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains("refused the token: set SLUICE_API_TOKEN").doesNotContain("wrong-token-xyz");
        assertThat(branches.find("pr-7")).isEmpty();
    }

    @Test
    void aMissingTokenNamesTheSetting() {
        Result r = CliErrorsTest.sluice(Map.of("SLUICE_API_URL", env.get("SLUICE_API_URL")), "branch", "list");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.token is not set: pass --api-token, set SLUICE_API_TOKEN");
    }

    @Test
    void aMalformedApiUrlIsRefused() {
        Result r = sluice("branch", "list", "--api-url", "127.0.0.1:7654");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.url = '127.0.0.1:7654' is not allowed; expected an http(s) URL");
    }

    @Test
    void branchWithoutACommandShowsUsage() {
        Result r = sluice("branch");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("create").contains("delete");
    }
}
