package dev.sluice.pipeline.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.branching.BranchException;
import dev.sluice.core.SluiceException;
import dev.sluice.pipeline.api.ApiClientForTests.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The v1 shape over real HTTP, against branches kept in memory. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ApiServerTest {

    private static final String TOKEN = "t0ken-for-tests-only";

    private final InMemoryBranches branches = new InMemoryBranches();
    private ApiServer server;
    private ApiClientForTests api;

    @BeforeEach
    void start() {
        server = ApiServer.start(new ListenAddress("127.0.0.1", 0), TOKEN, branches);
        api = new ApiClientForTests(server.port(), TOKEN);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void createAnswers201WithTheBranchAndItsConnectionString() {
        Answer a =
                api.post("/v1/branches", "{\"name\":\"pr-42\",\"from\":\"main\",\"ttl\":\"7d\",\"schemaOnly\":true}");
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.json().get("name").asText()).isEqualTo("pr-42");
        assertThat(a.json().get("parent").asText()).isEqualTo("main");
        assertThat(a.json().get("state").asText()).isEqualTo("running");
        assertThat(a.json().get("schemaOnly").asBoolean()).isTrue();
        assertThat(a.json().get("databaseURL").asText())
                .isEqualTo("postgres://branch_pr_42:pw-pr-42@127.0.0.1:15433/app");
        Instant created = Instant.parse(a.json().get("createdAt").asText());
        Instant expires = Instant.parse(a.json().get("expiresAt").asText());
        assertThat(Duration.between(created, expires))
                .isBetween(
                        Duration.ofDays(7).minusSeconds(1), Duration.ofDays(7).plusSeconds(1));
        assertThat(a.json().get("createdAt").asText()).endsWith("Z");
    }

    @Test
    void createOfAnExistingNameAnswers409WithTheExistingBranch() {
        assertThat(api.post("/v1/branches", "{\"name\":\"pr-1\"}").status()).isEqualTo(201);
        Answer again = api.post("/v1/branches", "{\"name\":\"pr-1\",\"ttl\":\"1h\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("error").asText()).isEqualTo("branch 'pr-1' already exists");
        assertThat(again.json().get("name").asText()).isEqualTo("pr-1");
        assertThat(again.json().get("databaseURL").asText())
                .isEqualTo("postgres://branch_pr_1:pw-pr-1@127.0.0.1:15433/app");
        assertThat(again.json().get("expiresAt").isNull()).isTrue();
    }

    @Test
    void createFromAnUnknownParentAnswers404() {
        Answer a = api.post("/v1/branches", "{\"name\":\"pr-2\",\"from\":\"nope\"}");
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.json().get("error").asText()).isEqualTo("no branch 'nope' to clone from");
    }

    @Test
    void badInputAnswers400NamingTheFieldAndTheValue() {
        assertThat(api.post("/v1/branches", "{\"name\":\"pr-3\",\"ttl\":\"7 weeks\"}"))
                .satisfies(a -> assertThat(a.status()).isEqualTo(400))
                .satisfies(a -> assertThat(a.json().get("error").asText())
                        .startsWith("ttl '7 weeks' is not allowed: expected a positive duration such as 7d"));
        assertThat(api.post("/v1/branches", "{\"name\":\"PR 3\"}")
                        .json()
                        .get("error")
                        .asText())
                .startsWith("branch name 'PR 3' is not allowed");
        assertThat(api.post("/v1/branches", "{\"from\":\"main\"}")
                        .json()
                        .get("error")
                        .asText())
                .startsWith("name is missing");
        assertThat(api.post("/v1/branches", "{\"name\":\"pr-3\",\"schema_only\":true}")
                        .json()
                        .get("error")
                        .asText())
                .isEqualTo("unknown field 'schema_only' (known: name, from, ttl, schemaOnly)");
        assertThat(api.post("/v1/branches", "{\"name\":\"pr-3\",\"schemaOnly\":\"yes\"}")
                        .json()
                        .get("error")
                        .asText())
                .isEqualTo("schemaOnly must be true or false, found \"yes\"");
        Answer notJson = api.post("/v1/branches", "{name: pr-3");
        assertThat(notJson.status()).isEqualTo(400);
        assertThat(notJson.json().get("error").asText()).startsWith("the request body is not valid JSON");
        assertThat(api.post("/v1/branches", "[1]").json().get("error").asText())
                .isEqualTo("the request body must be a JSON object, found ARRAY");
    }

    @Test
    void withoutTheTokenEveryPathAnswers401WithABearerChallenge() {
        ApiClientForTests anonymous = api.withToken(null);
        for (Answer a : new Answer[] {
            anonymous.get("/v1/branches"), anonymous.post("/v1/branches", "{\"name\":\"x\"}"), anonymous.get("/nowhere")
        }) {
            assertThat(a.status()).isEqualTo(401);
            assertThat(a.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"sluice\"");
            assertThat(a.json().get("error").asText()).startsWith("missing bearer token");
        }
        assertThat(branches.find("x")).isEmpty();
    }

    @Test
    void aWrongTokenAnswers401() {
        Answer a = api.withToken(TOKEN + "x").get("/v1/branches");
        assertThat(a.status()).isEqualTo(401);
        assertThat(a.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("invalid_token");
        assertThat(a.json().get("error").asText())
                .isEqualTo("invalid bearer token")
                .doesNotContain(TOKEN);
        assertThat(api.withToken("").get("/v1/branches").status()).isEqualTo(401);
    }

    @Test
    void listShowsEveryBranchWithItsConnectionString() {
        api.post("/v1/branches", "{\"name\":\"pr-4\"}");
        Answer a = api.get("/v1/branches");
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.json().get("branches")).hasSize(2);
        var main = a.json().get("branches").get(0);
        assertThat(main.get("name").asText()).isEqualTo("main");
        assertThat(main.get("parent").isNull()).isTrue();
        assertThat(main.get("createdAt").asText()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(main.get("databaseURL").asText())
                .isEqualTo("postgres://sluice_main:main-secret@127.0.0.1:15432/app");
        assertThat(a.json().get("branches").get(1).get("name").asText()).isEqualTo("pr-4");
    }

    @Test
    void getDeleteAndResetAnswer404ForAnUnknownBranch() {
        assertThat(api.get("/v1/branches/ghost").status()).isEqualTo(404);
        Answer delete = api.delete("/v1/branches/ghost");
        assertThat(delete.status()).isEqualTo(404);
        assertThat(delete.json().get("error").asText()).isEqualTo("no branch 'ghost'");
        assertThat(api.post("/v1/branches/ghost/reset", null).status()).isEqualTo(404);
    }

    @Test
    void getResetAndDeleteAnExistingBranch() {
        api.post("/v1/branches", "{\"name\":\"pr-5\"}");
        assertThat(api.get("/v1/branches/pr-5").json().get("name").asText()).isEqualTo("pr-5");
        Answer reset = api.post("/v1/branches/pr-5/reset", null);
        assertThat(reset.status()).isEqualTo(200);
        assertThat(reset.json().get("databaseURL").asText()).contains("pw-pr-5");
        Answer delete = api.delete("/v1/branches/pr-5");
        assertThat(delete.status()).isEqualTo(204);
        assertThat(delete.json().isMissingNode()).isTrue();
        assertThat(api.get("/v1/branches/pr-5").status()).isEqualTo(404);
    }

    @Test
    void forceIsPassedToTheStoreAndRefusalsAre400() {
        api.post("/v1/branches", "{\"name\":\"parent\"}");
        api.post("/v1/branches", "{\"name\":\"child\",\"from\":\"parent\"}");
        Answer refused = api.delete("/v1/branches/parent");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.json().get("error").asText()).contains("has branches cloned from it");
        assertThat(api.delete("/v1/branches/parent?force=true").status()).isEqualTo(204);
        assertThat(branches.forcedDeletes()).containsExactly("parent");
        assertThat(api.post("/v1/branches/main/reset", null).status()).isEqualTo(400);
    }

    @Test
    void wrongMethodAnswers405AndUnknownPath404() {
        Answer put = api.send("PUT", "/v1/branches", "{}");
        assertThat(put.status()).isEqualTo(405);
        assertThat(put.headers().firstValue("Allow")).hasValue("GET, POST");
        assertThat(api.send("PATCH", "/v1/branches/main", "{}").headers().firstValue("Allow"))
                .hasValue("GET, DELETE");
        assertThat(api.get("/v1/branches/main/reset").status()).isEqualTo(405);
        Answer unknown = api.get("/v2/things");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.json().get("error").asText()).isEqualTo("no endpoint at /v2/things");
        assertThat(api.get("/v1/branches/main/snapshots").status()).isEqualTo(404);
    }

    @Test
    void anOversizedBodyIsRefusedWith413() {
        Answer a = api.post("/v1/branches", "{\"name\":\"" + "x".repeat(ApiServer.MAX_BODY_BYTES) + "\"}");
        assertThat(a.status()).isEqualTo(413);
        assertThat(a.json().get("error").asText()).contains("larger than 65536 bytes");
    }

    @Test
    void aStoreFailureAnswers500WithItsMessageOnly() {
        branches.failNextCreate(new BranchException(
                BranchException.Kind.FAILED,
                "clone of main failed: no space left on device",
                new IllegalStateException("internal detail")));
        Answer a = api.post("/v1/branches", "{\"name\":\"pr-6\"}");
        assertThat(a.status()).isEqualTo(500);
        assertThat(a.json().get("error").asText()).isEqualTo("clone of main failed: no space left on device");
        assertThat(a.json().toString()).doesNotContain("internal detail").doesNotContain("Exception");
    }

    @Test
    void anUnexpectedErrorAnswers500WithoutItsDetails() {
        ApiServer broken = ApiServer.start(new ListenAddress("127.0.0.1", 0), TOKEN, new BrokenList());
        try (broken) {
            Answer a = new ApiClientForTests(broken.port(), TOKEN).get("/v1/branches");
            assertThat(a.status()).isEqualTo(500);
            assertThat(a.json().toString()).doesNotContain("secret internals");
        }
    }

    @Test
    void refusesToStartWithoutAToken() {
        assertThatThrownBy(() -> ApiServer.start(new ListenAddress("127.0.0.1", 0), " ", branches))
                .isInstanceOf(SluiceException.class)
                .hasMessageStartingWith("api.token is not set: set SLUICE_API_TOKEN");
    }

    /** A store that fails in a way it should not, with a message that must not reach the client. */
    private static final class BrokenList extends InMemoryBranches {
        @Override
        public java.util.List<dev.sluice.branching.Branch> list() {
            throw new IllegalStateException("secret internals");
        }
    }
}
