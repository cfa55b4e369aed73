package dev.sluice.pipeline.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code sluice serve} on a thread of its own, on a free port, stopped by interrupting it as a signal would. */
final class ServingThread {

    private static final Pattern LISTENING = Pattern.compile("Branch API on http://127\\.0\\.0\\.1:(\\d+) ");

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final Thread thread;
    private volatile int code = -1;

    private ServingThread(Path store, String token) {
        thread = new Thread(
                () -> code = SluiceCli.run(
                        new String[] {"serve", "--store", store.toString(), "--api-listen", "127.0.0.1:0"},
                        Map.of("SLUICE_API_TOKEN", token),
                        new PrintWriter(out, true),
                        new PrintWriter(err, true)),
                "serve-under-test");
    }

    static ServingThread start(Path store, String token) {
        ServingThread serving = new ServingThread(store, token);
        serving.thread.start();
        return serving;
    }

    /** The API's base URL, once serve has said where it listens (opening a real store takes seconds). */
    String apiUrl() throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            Matcher m = LISTENING.matcher(out.toString());
            if (m.find()) {
                return "http://127.0.0.1:" + m.group(1);
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
