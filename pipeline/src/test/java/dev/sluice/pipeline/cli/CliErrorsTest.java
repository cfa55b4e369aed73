package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.PgUrl;
import dev.sluice.localpg.LocalPostgres;
import dev.sluice.pipeline.Pipeline;
import dev.sluice.pipeline.config.ConfigLoader;
import dev.sluice.pipeline.config.Setting;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The errors people hit get one message that says what is wrong and how to fix it, the matching
 * exit code, no stack trace, and never a password.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CliErrorsTest {

    private static final String SECRET = "s3cret-Pa55";

    @TempDir
    Path dir;

    /** What one `sluice` invocation printed and returned. */
    record Result(int code, String out, String err) {
        String all() {
            return out + err;
        }
    }

    static Result sluice(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = SluiceCli.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    static Result sluice(String... args) {
        return sluice(Map.of(), args);
    }

    private static String[] args(String command, PgUrl source, String... more) {
        List<String> all = new ArrayList<>(List.of(command, "--source-url", source.toUrlWithPassword()));
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    @Test
    void unreachableSourceSaysSoWithoutPassword() {
        Result r = sluice("check", "--source-url", "postgres://app:" + SECRET + "@127.0.0.1:1/app");
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err())
                .startsWith("error: Cannot reach the source server at postgres://app:***@127.0.0.1:1/app")
                .contains("Check that the server is running")
                .doesNotContain(SECRET)
                .doesNotContain("\tat ");
    }

    @Test
    void wrongPasswordNamesTheUserNotThePassword() {
        PgUrl url = TestPostgres.server().url("postgres").withCredentials("postgres", SECRET);
        Result r = sluice(args("status", url));
        assertThat(r.code()).isEqualTo(3);
        assertThat(r.err()).contains("refused user 'postgres'").contains("Check the user name and password");
        assertThat(r.all()).doesNotContain(SECRET);
    }

    @Test
    void walLevelNotLogicalExplainsHowToEnableIt() {
        try (LocalPostgres server = LocalPostgres.builder(dir.resolve("replica"))
                .setting("wal_level", "replica")
                .start()) {
            Result r = sluice(args("init", server.url("postgres")));
            assertThat(r.code()).isEqualTo(4);
            assertThat(r.err())
                    .contains("wal_level = 'replica'")
                    .contains("Set wal_level = logical and restart")
                    .contains("rds.logical_replication = 1");
            Result check = sluice(args("check", server.url("postgres")));
            assertThat(check.code()).isEqualTo(1);
            assertThat(check.out()).contains("FAIL  wal_level = replica");
        }
    }

    @Test
    void exhaustedReplicationSlotsSayWhichSettingToRaise() throws Exception {
        try (LocalPostgres server = LocalPostgres.builder(dir.resolve("oneslot"))
                .setting("max_replication_slots", "1")
                .start()) {
            try (var c = server.jdbcConnection("postgres");
                    var st = c.createStatement()) {
                st.execute("SELECT pg_create_logical_replication_slot('someone_else', 'pgoutput')");
            }
            Result r = sluice(args("init", server.url("postgres")));
            assertThat(r.code()).isEqualTo(4);
            assertThat(r.err()).contains("Every slot allowed by max_replication_slots is taken");
        }
    }

    @Test
    void ownerWhoMayNotCreateEventTriggersIsToldWhoMayOrHowToGoWithout() {
        try (TestDatabase db = TestPostgres.server().createDatabase()) {
            db.execute(
                    "CREATE ROLE ddl_owner LOGIN REPLICATION PASSWORD '" + SECRET + "'",
                    "GRANT CREATE ON DATABASE " + db.name() + " TO ddl_owner",
                    "CREATE TABLE items (id int PRIMARY KEY)",
                    "ALTER TABLE items OWNER TO ddl_owner");
            try {
                Result r = sluice(args("init", db.url().withCredentials("ddl_owner", SECRET)));
                assertThat(r.code()).isEqualTo(4);
                assertThat(r.err())
                        .contains("user 'ddl_owner' may not create event triggers")
                        .contains("rds_superuser")
                        .contains("cloudsqlsuperuser")
                        .contains("source.ddl_capture: false");
                assertThat(r.all()).doesNotContain(SECRET);
                assertThat(db.queryForString(
                                "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"))
                        .as("no slot left behind by the failed init")
                        .isEqualTo("0");
            } finally {
                db.execute("DROP TABLE items", "DROP OWNED BY ddl_owner", "DROP ROLE ddl_owner");
            }
        }
    }

    @Test
    void userWithoutReplicationIsToldWhatToGrant() {
        try (TestDatabase db = TestPostgres.server().createDatabase()) {
            db.execute(
                    "CREATE ROLE app_owner LOGIN PASSWORD '" + SECRET + "'",
                    "GRANT CREATE ON DATABASE " + db.name() + " TO app_owner",
                    "CREATE TABLE items (id int PRIMARY KEY)",
                    "ALTER TABLE items OWNER TO app_owner");
            try {
                Result r =
                        sluice(args("init", db.url().withCredentials("app_owner", SECRET), "--ddl-capture", "false"));
                assertThat(r.code()).isEqualTo(4);
                assertThat(r.err())
                        .contains("User 'app_owner' may not use replication slots")
                        .contains("ALTER ROLE \"app_owner\" REPLICATION")
                        .contains("rds_replication");
                assertThat(r.all()).doesNotContain(SECRET);
                Result check = sluice(args("check", db.url().withCredentials("app_owner", SECRET)));
                assertThat(check.out()).contains("FAIL  user 'app_owner' may use replication");
            } finally {
                db.execute("DROP TABLE items", "DROP OWNED BY app_owner", "DROP ROLE app_owner");
            }
        }
    }

    @Test
    void unreadableTablesAreNamedByCheck() {
        try (TestDatabase db = TestPostgres.server().createDatabase()) {
            db.execute(
                    "CREATE ROLE reader LOGIN REPLICATION PASSWORD '" + SECRET + "'",
                    "CREATE TABLE open_data (id int PRIMARY KEY)",
                    "CREATE TABLE secrets (id int PRIMARY KEY)",
                    "GRANT SELECT ON open_data TO reader");
            try {
                Result check = sluice(args("check", db.url().withCredentials("reader", SECRET)));
                assertThat(check.code()).isEqualTo(1);
                assertThat(check.out()).contains("not readable: public.secrets").doesNotContain("open_data,");
            } finally {
                db.execute("DROP OWNED BY reader", "DROP ROLE reader");
            }
        }
    }

    @Test
    void tablesWithoutReplicaIdentityAreNamedWithTheFix() {
        try (TestDatabase db = TestPostgres.server().createDatabase()) {
            db.execute(
                    "CREATE TABLE keyed (id int PRIMARY KEY)",
                    "CREATE TABLE loose (a int, b text)",
                    "CREATE TABLE parted (a int, b text) PARTITION BY RANGE (a)",
                    "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (10)",
                    "CREATE TABLE keyed_parts (id int PRIMARY KEY) PARTITION BY RANGE (id)",
                    "CREATE TABLE keyed_parts_low PARTITION OF keyed_parts FOR VALUES FROM (0) TO (10)");
            Result check = sluice(args("check", db.url()));
            assertThat(check.code()).isEqualTo(1);
            assertThat(check.out())
                    .contains("public.loose")
                    .contains("ALTER TABLE \"public\".\"loose\" REPLICA IDENTITY FULL;")
                    .contains("public.parted")
                    .contains("ALTER TABLE <each partition of public.parted> REPLICA IDENTITY FULL;")
                    .doesNotContain("\"keyed\" REPLICA")
                    .doesNotContain("keyed_parts");
            Result init = sluice(args("init", db.url()));
            assertThat(init.code()).isEqualTo(4);
            assertThat(init.err()).contains("public.loose").contains("'!public.loose'");
            // Excluding the table, or fixing it, lets init through.
            assertThat(sluice(args("init", db.url(), "--tables", "!public.loose, !public.parted"))
                            .code())
                    .isZero();
            assertThat(sluice(args("destroy", db.url())).code()).isZero();
        }
    }

    @Test
    void secondReaderOfAnActiveSlotIsToldWhoHasIt() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE t (id int PRIMARY KEY)");
            target.execute("CREATE TABLE t (id int PRIMARY KEY)");
            assertThat(sluice(args("init", source.url())).code()).isZero();
            Map<String, String> env = Map.of("SLUICE_TARGET_URL", target.url().toUrlWithPassword());
            Pipeline first = pipeline(source, target);
            CompletableFuture<Void> running = background(first);
            awaitActive(source);
            Result second = sluice(env, args("run", source.url(), "--metrics-port", "0", "--snapshot", "none"));
            assertThat(second.code()).isEqualTo(5);
            assertThat(second.err()).contains("Replication slot 'sluice' is in use by another process");
            Result destroy = sluice(args("destroy", source.url()));
            assertThat(destroy.code()).isEqualTo(5);
            assertThat(destroy.err()).contains("stop that Sluice first");
            // A lost connection is retried by the first reader, which takes the slot again.
            source.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots"
                    + " WHERE slot_name = 'sluice' AND database = current_database()");
            awaitActive(source);
            first.stop();
            running.get(30, TimeUnit.SECONDS);
            assertThat(sluice(args("destroy", source.url())).code()).isZero();
        }
    }

    @Test
    void missingTargetTableIsNamedWithHowToCreateIt() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE present (id int PRIMARY KEY)", "CREATE TABLE absent (id int PRIMARY KEY)");
            target.execute("CREATE TABLE present (id int PRIMARY KEY)");
            assertThat(sluice(args("init", source.url())).code()).isZero();
            source.execute("INSERT INTO present VALUES (1)", "INSERT INTO absent VALUES (1)");
            Result r = sluice(
                    Map.of("SLUICE_TARGET_URL", target.url().toUrlWithPassword()),
                    args("run", source.url(), "--metrics-port", "0", "--snapshot", "none"));
            assertThat(r.code()).isEqualTo(6);
            assertThat(r.err())
                    .contains("Table public.absent receives changes from the source but does not exist on the target")
                    .contains("pg_dump --schema-only");
            // Nothing of the failed target transaction stays, and the source keeps it for the next run:
            // once the table exists, a new run applies both rows.
            assertThat(target.queryForString("SELECT count(*) FROM present")).isEqualTo("0");
            target.execute("CREATE TABLE absent (id int PRIMARY KEY)");
            Pipeline pipeline = pipeline(source, target);
            CompletableFuture<Void> run = background(pipeline);
            for (int i = 0;
                    i < 200
                            && !target.queryForString("SELECT count(*) FROM absent")
                                    .equals("1");
                    i++) {
                Thread.sleep(50);
            }
            pipeline.stop();
            run.get(30, TimeUnit.SECONDS);
            assertThat(target.queryForString("SELECT (SELECT count(*) FROM present) + (SELECT count(*) FROM absent)"))
                    .isEqualTo("2");
            assertThat(sluice(args("destroy", source.url())).code()).isZero();
        }
    }

    @Test
    void secondSourceCannotTakeOverATargetPipeline() throws Exception {
        // Two clusters, each with its own slot 'sluice', feeding one target under the same pipeline name.
        try (TestDatabase first = TestPostgres.server().createDatabase();
                TestDatabase second =
                        TestPostgres.server(TestPostgres.NEWEST_MAJOR).createDatabase();
                TestDatabase target = TestPostgres.server().createDatabase()) {
            for (TestDatabase db : List.of(first, second, target)) {
                db.execute("CREATE TABLE t (id int PRIMARY KEY)");
            }
            assertThat(sluice(args("init", first.url())).code()).isZero();
            assertThat(sluice(args("init", second.url())).code()).isZero();
            // On one server, slot names are shared by its databases: init says so.
            Result shared = sluice(args("init", target.url()));
            assertThat(shared.code()).isEqualTo(4);
            assertThat(shared.err())
                    .contains("Replication slot 'sluice' already exists on this server for database '" + first.name())
                    .contains("--slot sluice_" + target.name());
            first.execute("INSERT INTO t VALUES (1)");
            Pipeline pipeline = pipeline(first, target);
            CompletableFuture<Void> run = background(pipeline);
            for (int i = 0;
                    i < 200 && !target.queryForString("SELECT count(*) FROM t").equals("1");
                    i++) {
                Thread.sleep(50);
            }
            pipeline.stop();
            run.get(30, TimeUnit.SECONDS);
            Result r = sluice(
                    Map.of("SLUICE_TARGET_URL", target.url().toUrlWithPassword()),
                    args("run", second.url(), "--metrics-port", "0", "--snapshot", "none"));
            assertThat(r.code()).isEqualTo(6);
            assertThat(r.err())
                    .contains("already holds pipeline 'sluice' streamed from another source")
                    .contains("database " + first.name())
                    .contains("this source is system ")
                    .contains("database " + second.name());
            assertThat(sluice(args("destroy", first.url())).code()).isZero();
            assertThat(sluice(args("destroy", second.url())).code()).isZero();
        }
    }

    @Test
    void unreachableTargetSaysSo() {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE t (id int PRIMARY KEY)");
            assertThat(sluice(args("init", source.url())).code()).isZero();
            Result r = sluice(args(
                    "run",
                    source.url(),
                    "--metrics-port",
                    "0",
                    "--target-url",
                    "postgres://stage:" + SECRET + "@127.0.0.1:1/stage"));
            assertThat(r.code()).isEqualTo(3);
            assertThat(r.err()).contains("Cannot reach the target server at postgres://stage:***@127.0.0.1:1/stage");
            assertThat(r.all()).doesNotContain(SECRET);
            assertThat(sluice(args("destroy", source.url())).code()).isZero();
        }
    }

    @Test
    void malformedConfigNamesKeyValueAndAllowedValues() throws IOException {
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, "sink:\n  batch_rows: -5\n");
        Result r = sluice("status", "--config", file.toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err())
                .isEqualTo("error: sluice.yaml: sink.batch_rows = '-5' is not allowed; expected a whole number of 1 or"
                        + " more" + System.lineSeparator());
        Files.writeString(file, "source:\n  slots: x\n");
        assertThat(sluice("status", "--config", file.toString()).err())
                .contains("unknown key 'source.slots' (did you mean 'source.slot'?)");
    }

    @Test
    void statusReportsTheSlotAsJson() {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute("CREATE TABLE t (id int PRIMARY KEY)");
            Result missing = sluice(args("status", source.url()));
            assertThat(missing.code()).isEqualTo(1);
            assertThat(missing.out()).contains("does not exist (run `sluice init`)");
            assertThat(sluice(args("init", source.url())).code()).isZero();
            Result json = sluice(args("status", source.url(), "--json"));
            assertThat(json.code()).isZero();
            assertThat(json.out())
                    .contains("\"slot_exists\" : true")
                    .contains("\"slot_active\" : false")
                    .contains("\"published_tables\" : 1")
                    .contains("\"retained_wal_bytes\"");
            assertThat(sluice(args("destroy", source.url())).out()).contains("Dropped replication slot sluice");
        }
    }

    /** Runs the pipeline on a thread of its own: the common pool has a single worker on 2 cores. */
    private static CompletableFuture<Void> background(Pipeline pipeline) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        pipeline.run();
                        done.complete(null);
                    } catch (Throwable t) {
                        done.completeExceptionally(t);
                    }
                },
                "pipeline-under-test");
        thread.start();
        return done;
    }

    private static Pipeline pipeline(TestDatabase source, TestDatabase target) {
        return new Pipeline(
                ConfigLoader.load(
                        null,
                        Map.of(),
                        Map.of(
                                Setting.SOURCE_URL,
                                source.url().toUrlWithPassword(),
                                Setting.TARGET_URL,
                                target.url().toUrlWithPassword(),
                                Setting.METRICS_PORT,
                                "0",
                                Setting.SNAPSHOT_MODE,
                                "none")),
                new SimpleMeterRegistry());
    }

    private static void awaitActive(TestDatabase source) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            if (source.queryForString("SELECT count(*) FROM pg_replication_slots WHERE active")
                    .equals("1")) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the first run never read the slot");
    }
}
