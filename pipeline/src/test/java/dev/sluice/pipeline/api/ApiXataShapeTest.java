package dev.sluice.pipeline.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.api.ApiClientForTests.Answer;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Xata's URL shape: a CI script written for it works by changing only the base URL. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ApiXataShapeTest {

    private static final String TOKEN = "xata-shaped-token";

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
    void postCreatesAndAnswers201WithTheDatabaseUrl() {
        Answer a = api.post("/db/app:feature-x", "{\"from\":\"main\"}");
        assertThat(a.status()).isEqualTo(201);
        assertThat(a.json().get("databaseURL").asText())
                .isEqualTo("postgres://branch_feature_x:pw-feature-x@127.0.0.1:15433/app");
        assertThat(a.json().get("databaseName").asText()).isEqualTo("app");
        assertThat(a.json().get("branchName").asText()).isEqualTo("feature-x");
        assertThat(a.json().get("status").asText()).isEqualTo("completed");
        assertThat(branches.find("feature-x").orElseThrow().parent()).hasValue("main");
    }

    @Test
    void putWithFromInTheQueryCreatesAsXataClientsDo() {
        api.post("/db/app:base", null);
        Answer a = api.send("PUT", "/db/app:child?from=base", null);
        assertThat(a.status()).isEqualTo(201);
        assertThat(branches.find("child").orElseThrow().parent()).hasValue("base");
        assertThat(api.send("PUT", "/db/app:meta", "{\"from\":\"main\",\"metadata\":{\"repository\":\"x\"}}")
                        .status())
                .isEqualTo(201);
    }

    @Test
    void anExistingBranchAnswers409WithItsDatabaseUrl() {
        api.post("/db/app:pr-9", "{\"from\":\"main\"}");
        Answer again = api.post("/db/app:pr-9", "{\"from\":\"main\"}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("error").asText()).isEqualTo("branch 'pr-9' already exists");
        assertThat(again.json().get("databaseURL").asText()).contains("pw-pr-9");
    }

    @Test
    void anotherDatabaseNameAnswers404SayingWhichOneIsServed() {
        Answer a = api.post("/db/shop:pr-1", "{\"from\":\"main\"}");
        assertThat(a.status()).isEqualTo(404);
        assertThat(a.json().get("error").asText())
                .isEqualTo("no database 'shop': this store serves 'app' (use /db/app:BRANCH)");
        assertThat(api.get("/db/shop").status()).isEqualTo(404);
        assertThat(branches.find("pr-1")).isEmpty();
    }

    @Test
    void anUnknownParentAnswers404AndABadNameAnswers400() {
        assertThat(api.post("/db/app:pr-2", "{\"from\":\"nope\"}").status()).isEqualTo(404);
        Answer bad = api.post("/db/app:Bad_Name", null);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).startsWith("branch name 'Bad_Name' is not allowed");
    }

    @Test
    void deleteAnswers200CompletedThen404() {
        api.post("/db/app:pr-3", null);
        Answer delete = api.delete("/db/app:pr-3");
        assertThat(delete.status()).isEqualTo(200);
        assertThat(delete.json().get("status").asText()).isEqualTo("completed");
        assertThat(api.delete("/db/app:pr-3").status()).isEqualTo(404);
    }

    @Test
    void listShowsNamesAndIsoUtcCreationTimes() {
        api.post("/db/app:pr-4", null);
        for (String path : new String[] {"/db/app", "/dbs/app"}) {
            Answer a = api.get(path);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.json().get("databaseName").asText()).isEqualTo("app");
            assertThat(a.json().get("branches")).hasSize(2);
            assertThat(a.json().get("branches").get(0).get("name").asText()).isEqualTo("main");
            assertThat(a.json().get("branches").get(0).get("createdAt").asText())
                    .isEqualTo("2026-01-01T00:00:00Z");
            String created = a.json().get("branches").get(1).get("createdAt").asText();
            assertThat(created).endsWith("Z");
            assertThat(Instant.parse(created)).isBeforeOrEqualTo(Instant.now());
        }
        assertThat(api.get("/db/app:pr-4").json().get("databaseURL").asText()).contains("pw-pr-4");
    }

    @Test
    void withoutTheTokenAnswers401() {
        Answer a = api.withToken(null).post("/db/app:pr-5", "{\"from\":\"main\"}");
        assertThat(a.status()).isEqualTo(401);
        assertThat(a.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(branches.find("pr-5")).isEmpty();
    }

    @Test
    void wrongMethodAnswers405() {
        Answer a = api.send("PATCH", "/db/app:main", "{}");
        assertThat(a.status()).isEqualTo(405);
        assertThat(a.headers().firstValue("Allow")).hasValue("GET, PUT, POST, DELETE");
        assertThat(api.send("DELETE", "/db/app", null).status()).isEqualTo(405);
    }
}
