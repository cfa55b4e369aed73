package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.api.InMemoryBranches;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `sluice serve` wiring: settings checked first, the API served over the opened store until stopped. */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ServeCommandTest {

    private static final String TOKEN = "serve-test-token-42";

    @TempDir
    Path store;

    private final ServeCommand.StoreOpener original = ServeCommand.opener;

    @AfterEach
    void restore() {
        ServeCommand.opener = original;
    }

    @Test
    void refusesToStartWithoutATokenBeforeOpeningTheStore() {
        List<Path> opened = new CopyOnWriteArrayList<>();
        ServeCommand.opener = root -> {
            opened.add(root);
            return new InMemoryBranches();
        };
        BranchCommandTest.Result r = BranchCommandTest.sluice(Map.of(), "serve", "--store", store.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.token is not set: pass --api-token, set SLUICE_API_TOKEN");
        assertThat(opened).isEmpty();
    }

    @Test
    void refusesToStartWithoutAStore() {
        BranchCommandTest.Result r = BranchCommandTest.sluice(Map.of("SLUICE_API_TOKEN", TOKEN), "serve");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: store.path is not set: pass --store, set SLUICE_STORE_PATH");
    }

    @Test
    void aBadListenAddressIsRefusedWithTheValue() {
        BranchCommandTest.Result r = BranchCommandTest.sluice(
                Map.of("SLUICE_API_TOKEN", TOKEN), "serve", "--store", store.toString(), "--api-listen", "7654");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: api.listen = '7654' is not allowed; expected HOST:PORT");
    }

    @Test
    void servesTheApiOverTheOpenedStoreUntilStopped() throws Exception {
        InMemoryBranches branches = new InMemoryBranches();
        List<Path> opened = new CopyOnWriteArrayList<>();
        ServeCommand.opener = root -> {
            opened.add(root);
            return branches;
        };
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int[] code = {-1};
        Thread serving = new Thread(
                () -> code[0] = SluiceCli.run(
                        new String[] {"serve", "--store", store.toString(), "--api-listen", "127.0.0.1:0"},
                        Map.of("SLUICE_API_TOKEN", TOKEN),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true)),
                "serve-under-test");
        serving.start();
        int port = awaitPort(out);
        assertThat(opened).containsExactly(store);
        Map<String, String> client = Map.of("SLUICE_API_URL", "http://127.0.0.1:" + port, "SLUICE_API_TOKEN", TOKEN);
        BranchCommandTest.Result created = BranchCommandTest.sluice(client, "branch", "create", "pr-1");
        assertThat(created.code()).isZero();
        assertThat(branches.find("pr-1")).isPresent();
        serving.interrupt();
        serving.join(TimeUnit.SECONDS.toMillis(30));
        assertThat(serving.isAlive()).isFalse();
        assertThat(code[0]).as(err.toString()).isZero();
        assertThat(BranchCommandTest.sluice(client, "branch", "list").code()).isEqualTo(3);
    }

    private static int awaitPort(StringWriter out) throws InterruptedException {
        Pattern listening = Pattern.compile("Branch API on http://127\\.0\\.0\\.1:(\\d+) ");
        for (int i = 0; i < 200; i++) {
            Matcher m = listening.matcher(out.toString());
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
            Thread.sleep(50);
        }
        throw new AssertionError("serve never said where it listens; it printed: " + out);
    }
}
