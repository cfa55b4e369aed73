package dev.sluice.testing;

import dev.sluice.localpg.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The Kafka broker of a test JVM: one KRaft node (broker and controller in one process), started on
 * first use as a child JVM from the Kafka jars on the test classpath, and killed with its data when
 * the test JVM exits. No Docker, nothing installed.
 *
 * <p>A child process rather than an in-JVM server: the broker's Scala runtime, its threads and its
 * calls to {@code Exit} stay out of the tests' JVM, and a test may treat it as a remote cluster.
 * Tests share the broker, so each creates its own topics ({@link #createTopic}) and consumer groups
 * under unique names.
 *
 * <p>Two listeners: {@link #bootstrap()} (PLAINTEXT) and {@link #saslBootstrap()} (SASL_PLAINTEXT,
 * mechanism PLAIN, user {@value #SASL_USER} with password {@value #SASL_PASSWORD}).
 *
 * <p>{@link #secured()} is a second broker, started only by tests that ask for it, with two more
 * listeners: {@link #sslBootstrap()} (SSL) and {@link #saslSslBootstrap()} (SASL_SSL; mechanisms
 * PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512, the same user and password for each; the SCRAM
 * credentials are written into the metadata log when its storage is formatted, as KRaft wants).
 * Its certificate comes from a CA made when it starts ({@link TestTls}); clients trust it through
 * {@link #truststore()}.
 */
public final class TestKafka {

    public static final String SASL_USER = "sluice";
    public static final String SASL_PASSWORD = "sluice-test-secret";

    /** Password of the secured broker's {@link #truststore()} and of its own keystore. */
    public static final String TRUSTSTORE_PASSWORD = "sluice-test-truststore";

    private static final List<String> SCRAM_MECHANISMS = List.of("SCRAM-SHA-256", "SCRAM-SHA-512");

    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static volatile TestKafka broker;
    private static volatile TestKafka secured;

    private final Process process;
    private final Path home;
    private final int port;
    private final int saslPort;
    /** The secured broker's TLS listeners and material; zero and null on the plain broker. */
    private final int sslPort;

    private final int saslSslPort;
    private final TestTls tls;

    private TestKafka(Process process, Path home, int port, int saslPort, int sslPort, int saslSslPort, TestTls tls) {
        this.process = process;
        this.home = home;
        this.port = port;
        this.saslPort = saslPort;
        this.sslPort = sslPort;
        this.saslSslPort = saslSslPort;
        this.tls = tls;
    }

    /** The shared broker, started on first call. */
    public static TestKafka broker() {
        TestKafka b = broker;
        if (b == null) {
            synchronized (TestKafka.class) {
                b = broker;
                if (b == null) {
                    b = startAndKeep(false);
                    broker = b;
                }
            }
        }
        return b;
    }

    /**
     * The secured broker (SSL and SASL_SSL listeners besides PLAINTEXT), started on first call; a
     * second child JVM, so tests that do not ask for it pay nothing.
     */
    public static TestKafka secured() {
        TestKafka b = secured;
        if (b == null) {
            synchronized (TestKafka.class) {
                b = secured;
                if (b == null) {
                    b = startAndKeep(true);
                    secured = b;
                }
            }
        }
        return b;
    }

    private static TestKafka startAndKeep(boolean withTls) {
        TestKafka started = start(withTls);
        Runtime.getRuntime().addShutdownHook(new Thread(started::stopAndDelete, "sluice-test-kafka-shutdown"));
        return started;
    }

    /** {@code host:port} of the PLAINTEXT listener. */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    /** {@code host:port} of the SASL_PLAINTEXT listener (PLAIN). */
    public String saslBootstrap() {
        return "127.0.0.1:" + saslPort;
    }

    /** {@code host:port} of the SSL listener of the {@link #secured()} broker. */
    public String sslBootstrap() {
        return "127.0.0.1:" + securedPort(sslPort);
    }

    /** {@code host:port} of the SASL_SSL listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) of the {@link #secured()} broker. */
    public String saslSslBootstrap() {
        return "127.0.0.1:" + securedPort(saslSslPort);
    }

    /** A PKCS12 truststore that trusts the {@link #secured()} broker's certificate; password {@value #TRUSTSTORE_PASSWORD}. */
    public Path truststore() {
        securedPort(sslPort);
        return tls.truststore();
    }

    private int securedPort(int listener) {
        if (tls == null) {
            throw new IllegalStateException("TLS listeners are on TestKafka.secured(), not on this broker");
        }
        return listener;
    }

    /** An admin client on the PLAINTEXT listener; the caller closes it. */
    public Admin admin() {
        return Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                30_000));
    }

    /** Creates a topic with a name unique to this run, starting with {@code prefix}, and returns the name. */
    public String createTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Could not create topic " + name + " on the test broker", e);
        }
        return name;
    }

    private static TestKafka start(boolean withTls) {
        try {
            Path home = Files.createTempDirectory("sluice-test-kafka-");
            int[] ports = freePorts(withTls ? 5 : 3);
            int port = ports[0];
            int controllerPort = ports[1];
            int saslPort = ports[2];
            int sslPort = withTls ? ports[3] : 0;
            int saslSslPort = withTls ? ports[4] : 0;
            TestTls tls = withTls ? TestTls.generate(home.resolve("tls"), TRUSTSTORE_PASSWORD) : null;
            Path config = home.resolve("server.properties");
            Properties props = serverProperties(home.resolve("data"), port, controllerPort, saslPort);
            if (withTls) {
                addTlsListeners(props, tls, sslPort, saslSslPort);
            }
            try (var out = Files.newOutputStream(config)) {
                props.store(out, "Sluice test broker");
            }
            Path log = home.resolve("broker.log");
            String clusterId = "sluice-test-" + UUID.randomUUID().toString().substring(0, 8);
            List<String> formatArgs = new ArrayList<>(List.of("format", "-t", clusterId, "-c", config.toString()));
            if (withTls) {
                for (String mechanism : SCRAM_MECHANISMS) {
                    formatArgs.add("--add-scram");
                    formatArgs.add(mechanism + "=[name=" + SASL_USER + ",password=" + SASL_PASSWORD + "]");
                }
            }
            Process format = javaProcess("kafka.tools.StorageTool", formatArgs.toArray(String[]::new))
                    .redirectErrorStream(true)
                    .redirectOutput(home.resolve("format.log").toFile())
                    .start();
            if (!format.waitFor(60, TimeUnit.SECONDS) || format.exitValue() != 0) {
                format.destroyForcibly();
                throw new IllegalStateException(
                        "Formatting the test broker's storage failed: " + Files.readString(home.resolve("format.log")));
            }
            Process process = javaProcess("kafka.Kafka", config.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile())
                    .start();
            TestKafka kafka = new TestKafka(process, home, port, saslPort, sslPort, saslSslPort, tls);
            kafka.awaitReady(log);
            return kafka;
        } catch (IOException e) {
            throw new UncheckedIOException("Could not start the test Kafka broker", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Properties serverProperties(Path data, int port, int controllerPort, int saslPort) {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty(
                "listeners",
                "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort
                        + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
        p.setProperty(
                "advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty(
                "listener.security.protocol.map",
                "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
        p.setProperty("sasl.enabled.mechanisms", "PLAIN");
        p.setProperty(
                "listener.name.sasl_plaintext.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
                        + " password=\"admin\" user_admin=\"admin\" user_" + SASL_USER + "=\"" + SASL_PASSWORD
                        + "\";");
        p.setProperty("log.dirs", data.toString());
        p.setProperty("num.partitions", "1");
        p.setProperty("auto.create.topics.enable", "false");
        p.setProperty("offsets.topic.replication.factor", "1");
        p.setProperty("offsets.topic.num.partitions", "4");
        p.setProperty("transaction.state.log.replication.factor", "1");
        p.setProperty("transaction.state.log.min.isr", "1");
        p.setProperty("transaction.state.log.num.partitions", "4");
        p.setProperty("share.coordinator.state.topic.replication.factor", "1");
        p.setProperty("share.coordinator.state.topic.min.isr", "1");
        p.setProperty("group.initial.rebalance.delay.ms", "0");
        // Tests kill producers mid-transaction; the broker aborts what they left open this soon.
        p.setProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "2000");
        p.setProperty("log.flush.interval.messages", String.valueOf(Long.MAX_VALUE));
        return p;
    }

    /** SSL and SASL_SSL listeners next to the plain broker's; the broker itself still talks PLAINTEXT. */
    private static void addTlsListeners(Properties p, TestTls tls, int sslPort, int saslSslPort) {
        String tlsListeners = ",SSL://127.0.0.1:" + sslPort + ",SASL_SSL://127.0.0.1:" + saslSslPort;
        p.setProperty("listeners", p.getProperty("listeners") + tlsListeners);
        p.setProperty("advertised.listeners", p.getProperty("advertised.listeners") + tlsListeners);
        p.setProperty(
                "listener.security.protocol.map",
                p.getProperty("listener.security.protocol.map") + ",SSL:SSL,SASL_SSL:SASL_SSL");
        p.setProperty("ssl.keystore.type", "PKCS12");
        p.setProperty("ssl.keystore.location", tls.keystore().toString());
        p.setProperty("ssl.keystore.password", tls.password());
        p.setProperty("ssl.key.password", tls.password());
        p.setProperty("listener.name.sasl_ssl.sasl.enabled.mechanisms", "PLAIN," + String.join(",", SCRAM_MECHANISMS));
        p.setProperty(
                "listener.name.sasl_ssl.plain.sasl.jaas.config",
                "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\""
                        + " password=\"admin\" user_admin=\"admin\" user_" + SASL_USER + "=\"" + SASL_PASSWORD
                        + "\";");
        for (String mechanism : SCRAM_MECHANISMS) {
            p.setProperty(
                    "listener.name.sasl_ssl." + mechanism.toLowerCase(java.util.Locale.ROOT) + ".sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
    }

    private static ProcessBuilder javaProcess(String mainClass, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xms256m");
        command.add("-Xmx1g");
        command.add("-XX:+UseG1GC");
        command.add("-Djava.awt.headless=true");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(List.of(args));
        return new ProcessBuilder(command);
    }

    private void awaitReady(Path log) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(
                        "The test Kafka broker exited (" + process.exitValue() + "): " + tail(Files.readString(log)));
            }
            try (Admin admin = Admin.create(Map.of(
                    AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3_000,
                    AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000))) {
                admin.describeCluster().nodes().get(3, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                Thread.sleep(200);
            }
        }
        stopAndDelete();
        throw new IllegalStateException(
                "The test Kafka broker did not come up within " + START_TIMEOUT + ": " + tail(Files.readString(log)));
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

    /** Distinct free ports: all sockets stay open until each has its port, so none is handed out twice. */
    private static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0);
                ports[i] = sockets[i].getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
    }

    private void stopAndDelete() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        FileTrees.deleteQuietly(home);
    }
}
