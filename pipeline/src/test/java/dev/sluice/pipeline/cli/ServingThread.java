package dev.sluice.pipeline.cli;

import dev.sluice.testing.FreePorts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code sluice serve} on a thread of its own, its API and metrics on free ports, stopped by
 * interrupting it as a signal would.
 */
final class ServingThread {

    private static final Pattern LISTENING = Pattern.compile("Branch API on http://127\\.0\\.0\\.1:(\\d+) ");
    private static final Pattern METRICS = Pattern.compile("Metrics on (http://\\S+)/metrics");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Thread thread;
    private volatile int code = -1;

    private ServingThread(Path store, String token, int metricsPort) {
        String[] args = {
            "serve",
            "--store",
            store.toString(),
            "--api-listen",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1",
            "--metrics-port",
            Integer.toString(metricsPort)
        };
        thread = new Thread(
                () -> code = SluiceCli.run(
                        args,
                        Map.of("SLUICE_API_TOKEN", token),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true)),
                "serve-under-test");
    }

    static ServingThread start(Path store, String token) {
        ServingThread serving = new ServingThread(store, token, FreePorts.loopback());
        serving.thread.start();
        return serving;
    }

    /** The API's base URL, once serve has said where it listens (opening a real store takes seconds). */
    String apiUrl() throws InterruptedException {
        return "http://127.0.0.1:" + await(LISTENING);
    }

    /** The base URL of {@code /metrics} and {@code /healthz}. */
    String metricsUrl() throws InterruptedException {
        return await(METRICS);
    }

    private String await(Pattern said) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            Matcher m = said.matcher(out.toString());
            if (m.find()) {
                return m.group(1);
            }
            if (!thread.isAlive()) {
                throw new AssertionError("serve ended with " + code + ": " + out + err);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("serve never said where it listens; it printed: " + out + err);
    }

    /** Interrupts serve and returns its exit code once it has closed the API and the store. */
    int stop() throws InterruptedException {
        thread.interrupt();
        thread.join(TimeUnit.MINUTES.toMillis(2));
        if (thread.isAlive()) {
            throw new AssertionError("serve did not stop within 2 minutes");
        }
        return code;
    }

    /** Everything serve printed. */
    String output() {
        return out.toString() + err;
    }
}
