package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.PgUrl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Branch operations on one store whose main holds a few tables; each test uses branches of its own. */
@Timeout(120)
class BranchStoreTest {

    private static Path root;
    private static BranchStore store;

    @BeforeAll
    static void openStore() throws SQLException {
        root = TestStores.newRoot("ops");
        store = BranchStore.open(root, TestStores.options());
        main(
                "CREATE TABLE items (id bigserial PRIMARY KEY, name text NOT NULL)",
                "INSERT INTO items (name) SELECT 'item ' || g FROM generate_series(1, 100) g",
                "CREATE TABLE orders (id bigint PRIMARY KEY, item bigint REFERENCES items, qty int)",
                "INSERT INTO orders SELECT g, g, g FROM generate_series(1, 50) g");
    }

    @AfterAll
    static void closeStore() {
        if (store != null) {
            store.close();
        }
        TestStores.delete(root);
    }

    @Test
    void storeFindsCopyOnWriteExactlyWhenTheTestDirectoryHasIt() {
        TestStores.assertCopyOnWriteAsConfigured(store);
        Branch branch = store.create(BranchSpec.of("cow-flag"));
        assertThat(branch.copyOnWrite()).isEqualTo(store.copyOnWrite());
    }

    @Test
    void storeDirectoriesAreTheOwnersAlone() throws Exception {
        store.create(BranchSpec.of("private"));

        for (Path dir :
                List.of(root, root.resolve("main"), root.resolve("branches"), root.resolve("branches/private"))) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)))
                    .as("mode of %s, where the servers' Unix sockets are", dir)
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void branchTakenWhileMainIsWrittenHoldsAWholePrefixOfMainsTransactions() throws Exception {
        main(
                "CREATE TABLE ledger (id bigint PRIMARY KEY, txn bigint NOT NULL, payload text NOT NULL)",
                "CREATE TABLE ledger_total (total bigint NOT NULL)",
                "INSERT INTO ledger_total VALUES (0)");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong committed = new AtomicLong();
        Thread writer = Thread.ofPlatform().start(() -> writeLedger(stop, committed));
        try {
            awaitAtLeast(committed, 200);
            Branch branch = store.create(BranchSpec.of("consistent"));
            awaitAtLeast(committed, committed.get() + 100); // main went on after the branch
            stop.set(true);
            writer.join();

            long rows = queryLong(branch.url(), "SELECT count(*) FROM ledger");
            assertThat(rows).as("rows in the branch").isPositive();
            assertThat(rows % ROWS_PER_TXN).as("only whole transactions").isZero();
            assertThat(queryLong(branch.url(), "SELECT max(id) FROM ledger"))
                    .as("a prefix of the writer's sequence")
                    .isEqualTo(rows);
            assertThat(queryLong(branch.url(), "SELECT total FROM ledger_total"))
                    .as("the other table of the same transactions")
                    .isEqualTo(rows);
            assertThat(queryLong(store.mainWriterUrl(), "SELECT count(*) FROM ledger"))
                    .as("main kept going after the branch")
                    .isGreaterThan(rows);
            String upToBranch = "SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM ledger l WHERE id <= " + rows;
            assertThat(queryString(branch.url(), upToBranch)).isEqualTo(queryString(store.mainWriterUrl(), upToBranch));
        } finally {
            stop.set(true);
            writer.join();
        }
    }

    @Test
    void writesToABranchReachNeitherMainNorASibling() throws SQLException {
        Branch a = store.create(BranchSpec.of("sibling-a"));
        Branch b = store.create(BranchSpec.of("sibling-b"));
        execute(a.url(), "UPDATE items SET name = 'changed in a' WHERE id = 1", "DELETE FROM orders WHERE id = 2");
        execute(a.url(), "INSERT INTO items (name) VALUES ('only in a')");

        assertThat(queryString(a.url(), "SELECT name FROM items WHERE id = 1")).isEqualTo("changed in a");
        for (PgUrl other : List.of(store.mainWriterUrl(), b.url())) {
            assertThat(queryString(other, "SELECT name FROM items WHERE id = 1"))
                    .isEqualTo("item 1");
            assertThat(queryLong(other, "SELECT count(*) FROM orders WHERE id = 2"))
                    .isEqualTo(1);
            assertThat(queryLong(other, "SELECT count(*) FROM items WHERE name = 'only in a'"))
                    .isZero();
        }
    }

    @Test
    void sequencesContinueFromTheParentsValue() throws SQLException {
        Branch branch = store.create(BranchSpec.of("sequences"));
        long mainNext = queryLong(store.mainWriterUrl(), "SELECT last_value FROM items_id_seq");
        assertThat(queryLong(branch.url(), "INSERT INTO items (name) VALUES ('x') RETURNING id"))
                .isGreaterThan(mainNext);
    }

    @Test
    void resetKeepsTheUrlAndReturnsToTheParentsCurrentState() throws SQLException {
        Branch before = store.create(BranchSpec.of("to-reset"));
        execute(before.url(), "DELETE FROM orders");
        main("CREATE TABLE added_after_branch (x int)", "INSERT INTO added_after_branch VALUES (42)");

        Branch after = store.reset("to-reset");

        assertThat(after.url().toUrlWithPassword()).isEqualTo(before.url().toUrlWithPassword());
        assertThat(after.createdAt()).isEqualTo(before.createdAt());
        assertThat(queryLong(before.url(), "SELECT count(*) FROM orders")).isEqualTo(50);
        assertThat(queryLong(before.url(), "SELECT x FROM added_after_branch")).isEqualTo(42);
    }

    @Test
    void resetThatFailsLeavesTheBranchAsItWas() throws SQLException {
        Branch branch = store.create(BranchSpec.of("reset-fails"));
        execute(branch.url(), "CREATE TABLE only_here (x int)", "INSERT INTO only_here VALUES (9)");
        store.onStep(step -> {
            if (step.equals("reset-prepared")) {
                throw new IllegalStateException("injected failure of the reset");
            }
        });
        try {
            assertThatThrownBy(() -> store.reset("reset-fails"))
                    .isInstanceOfSatisfying(
                            BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.FAILED))
                    .hasMessageContaining("injected failure of the reset");
        } finally {
            store.onStep(step -> {});
        }

        assertThat(queryLong(branch.url(), "SELECT x FROM only_here")).isEqualTo(9);
        assertThat(root.resolve("branches/reset-fails/data.old")).doesNotExist();
        assertThat(root.resolve("branches/reset-fails/data.next")).doesNotExist();
    }

    @Test
    void listingAnswersWhileABranchIsHeldInTheMiddleOfItsReset() throws Exception {
        store.create(BranchSpec.of("held"));
        Thread resetting;
        try (HeldStep held = new HeldStep(store, "reset-prepared")) {
            resetting = Thread.ofPlatform().start(() -> store.reset("held"));
            assertThat(held.reached()).isTrue();
            // The reset holds the branch's server; a listing waiting for it would hang this test.
            assertThat(store.list()).extracting(Branch::name).contains("held");
            assertThat(store.find("held").map(Branch::state)).contains(BranchState.RUNNING);
        }
        resetting.join();
    }

    @Test
    void takenNameFailsWithExistsCarryingTheExistingBranch() {
        Branch first = store.create(BranchSpec.of("taken"));

        assertThatThrownBy(() -> store.create(BranchSpec.of("taken")))
                .isInstanceOfSatisfying(BranchException.class, e -> {
                    assertThat(e.kind()).isEqualTo(BranchException.Kind.EXISTS);
                    Branch existing = e.existing().orElseThrow();
                    assertThat(existing.name()).isEqualTo("taken");
                    assertThat(existing.createdAt()).isEqualTo(first.createdAt());
                    assertThat(existing.url().toUrlWithPassword())
                            .isEqualTo(first.url().toUrlWithPassword());
                });
        assertThatThrownBy(() -> store.create(BranchSpec.of(Branch.MAIN)))
                .isInstanceOfSatisfying(
                        BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.EXISTS));
    }

    @Test
    void concurrentCreatesOfOneNameMakeOneBranchAndOthersGetExists() throws Exception {
        List<java.util.concurrent.Future<Branch>> results = new ArrayList<>();
        try (var pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
            for (String name : List.of("race", "race", "race-other")) {
                results.add(pool.submit(() -> store.create(BranchSpec.of(name))));
            }
        }
        int created = 0;
        int exists = 0;
        for (var result : results) {
            try {
                result.get();
                created++;
            } catch (java.util.concurrent.ExecutionException e) {
                assertThat(e.getCause())
                        .isInstanceOfSatisfying(
                                BranchException.class,
                                be -> assertThat(be.kind()).isEqualTo(BranchException.Kind.EXISTS));
                exists++;
            }
        }
        assertThat(created).isEqualTo(2);
        assertThat(exists).isEqualTo(1);
        assertThat(queryLong(store.find("race").orElseThrow().url(), "SELECT count(*) FROM items"))
                .isPositive();
        assertThat(queryLong(store.find("race-other").orElseThrow().url(), "SELECT count(*) FROM items"))
                .isPositive();
    }

    @Test
    void resetOfABranchWhoseParentIsGoneFailsWithNotFound() {
        store.create(BranchSpec.of("gone-parent"));
        store.create(new BranchSpec("left-child", "gone-parent", Optional.empty(), false));
        store.delete("gone-parent", true);

        assertThatThrownBy(() -> store.reset("left-child"))
                .isInstanceOfSatisfying(
                        BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.NOT_FOUND))
                .hasMessageContaining("gone-parent");
        assertThatThrownBy(() -> store.reset("never-created"))
                .isInstanceOfSatisfying(
                        BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.NOT_FOUND));
        assertThat(store.find("left-child").orElseThrow().state()).isEqualTo(BranchState.RUNNING);
    }

    @Test
    void branchIsListedAsCreatingWithItsFinalUrlWhileItIsCloned() {
        List<Branch> seen = new ArrayList<>();
        store.onStep(step -> {
            if (step.equals("cloned")) {
                seen.add(store.find("in-progress").orElseThrow());
                assertThat(store.list()).extracting(Branch::name).contains("in-progress");
            }
        });
        Branch created;
        try {
            created = store.create(BranchSpec.of("in-progress"));
        } finally {
            store.onStep(step -> {});
        }

        assertThat(seen).singleElement().satisfies(during -> {
            assertThat(during.state()).isEqualTo(BranchState.CREATING);
            assertThat(during.url().toUrlWithPassword()).isEqualTo(created.url().toUrlWithPassword());
        });
        assertThat(created.state()).isEqualTo(BranchState.RUNNING);
    }

    @Test
    void unknownParentFailsWithNotFoundAndLeavesNothing() {
        assertThatThrownBy(() -> store.create(new BranchSpec("orphan", "no-such-branch", Optional.empty(), false)))
                .isInstanceOfSatisfying(
                        BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.NOT_FOUND));
        assertThat(store.find("orphan")).isEmpty();
        assertThat(root.resolve("branches").resolve("orphan")).doesNotExist();
    }

    @Test
    void createThatFailsAtAnyStepLeavesNothingBehind() {
        for (String step : List.of("cloned", "prepared", "saved")) {
            List<String> before = branchDirectories();
            store.onStep(reached -> {
                if (reached.equals(step)) {
                    throw new IllegalStateException("injected failure after " + step);
                }
            });
            try {
                assertThatThrownBy(() -> store.create(BranchSpec.of("doomed")))
                        .isInstanceOfSatisfying(
                                BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.FAILED))
                        .hasMessageContaining("injected failure after " + step);
            } finally {
                store.onStep(reached -> {});
            }
            assertThat(store.find("doomed")).as("after %s", step).isEmpty();
            assertThat(branchDirectories()).as("after %s", step).isEqualTo(before);
        }
        // Nothing of the failed attempts stands in the way of the name.
        assertThat(store.create(BranchSpec.of("doomed")).state()).isEqualTo(BranchState.RUNNING);
    }

    @Test
    void schemaOnlyBranchHasTheStructureWithoutRows() throws SQLException {
        Branch branch = store.create(new BranchSpec("structure", Branch.MAIN, Optional.empty(), true));

        assertThat(branch.schemaOnly()).isTrue();
        assertThat(queryLong(branch.url(), "SELECT count(*) FROM items")).isZero();
        assertThat(queryLong(branch.url(), "SELECT count(*) FROM orders")).isZero();
        assertThat(queryLong(store.mainWriterUrl(), "SELECT count(*) FROM items"))
                .isPositive();
        execute(branch.url(), "INSERT INTO items (name) VALUES ('first')");
        assertThatThrownBy(() -> execute(branch.url(), "INSERT INTO orders VALUES (1, 999999, 1)"))
                .as("constraints came along")
                .isInstanceOf(SQLException.class);
    }

    @Test
    void branchRoleRunsMigrationsButIsNoSuperuser() throws SQLException {
        main(
                "CREATE SCHEMA IF NOT EXISTS billing",
                "CREATE TYPE billing.mood AS ENUM ('ok', 'sad')",
                "CREATE DOMAIN billing.cents AS bigint CHECK (VALUE >= 0)",
                "CREATE TABLE billing.invoices (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount billing.cents,"
                        + " m billing.mood) PARTITION BY RANGE (id)",
                "CREATE TABLE billing.invoices_1 PARTITION OF billing.invoices FOR VALUES FROM (1) TO (1000)",
                "CREATE VIEW billing.big AS SELECT * FROM billing.invoices WHERE amount > 100",
                "CREATE MATERIALIZED VIEW billing.totals AS SELECT sum(amount) AS s FROM billing.invoices",
                "CREATE FUNCTION billing.twice(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2'",
                // Made outside the pipeline, by the store's bootstrap superuser.
                "SET ROLE postgres",
                "CREATE TABLE billing.legacy (id int)",
                "RESET ROLE");
        Branch branch = store.create(BranchSpec.of("migrations"));
        execute(
                branch.url(),
                "ALTER TYPE billing.mood ADD VALUE 'happy'",
                "ALTER DOMAIN billing.cents DROP CONSTRAINT cents_check",
                "ALTER TABLE billing.invoices ADD COLUMN note text",
                "INSERT INTO billing.invoices (amount, m) VALUES (5, 'ok')",
                "ALTER VIEW billing.big RENAME TO large_invoices",
                "REFRESH MATERIALIZED VIEW billing.totals",
                "DROP FUNCTION billing.twice(int)",
                "ALTER TABLE billing.legacy ADD COLUMN y int",
                "ALTER SCHEMA billing RENAME TO invoicing");

        execute(
                branch.url(),
                "ALTER TABLE items ADD COLUMN price numeric",
                "CREATE INDEX ON orders (qty)",
                "CREATE TABLE new_table (id int)",
                "DROP TABLE new_table",
                "CREATE SCHEMA extra");
        assertThat(queryString(branch.url(), "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"))
                .isEqualTo("false");
        assertThat(queryString(
                        branch.url(),
                        "SELECT bool_or(rolsuper OR rolcanlogin)::text FROM pg_roles"
                                + " WHERE pg_has_role(current_user, oid, 'MEMBER') AND rolname <> current_user"))
                .as("no role the branch role belongs to is a superuser or can log in")
                .isEqualTo("false");
        assertThatThrownBy(() -> connectAs(
                        branch.url().withCredentials(store.mainWriterUrl().user(), password(store.mainWriterUrl()))))
                .as("main's writer password does not open a branch")
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> execute(branch.url(), "CREATE ROLE intruder SUPERUSER"))
                .isInstanceOf(SQLException.class);
    }

    @Test
    void mainGivesUsersOnlyAReadOnlyLogin() throws SQLException {
        Branch main = store.find(Branch.MAIN).orElseThrow();

        assertThat(main.parent()).isEmpty();
        assertThat(main.url().user()).isNotEqualTo(store.mainWriterUrl().user());
        assertThat(queryLong(main.url(), "SELECT count(*) FROM items")).isPositive();
        assertThatThrownBy(() -> execute(main.url(), "DELETE FROM items")).isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> store.delete(Branch.MAIN, true)).isInstanceOf(BranchException.class);
        assertThatThrownBy(() -> store.reset(Branch.MAIN)).isInstanceOf(BranchException.class);
    }

    @Test
    void branchDropsThePipelinesBookkeepingAndMainsReaderLogin() throws SQLException {
        main(
                "CREATE SCHEMA IF NOT EXISTS sluice",
                "CREATE TABLE IF NOT EXISTS sluice.applied (lsn text)",
                "CREATE PUBLICATION branch_test_pub FOR TABLE items");
        try {
            Branch branch = store.create(BranchSpec.of("stripped"));
            assertThat(queryLong(branch.url(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'sluice'"))
                    .isZero();
            assertThat(queryLong(branch.url(), "SELECT count(*) FROM pg_publication"))
                    .isZero();
            assertThat(queryLong(branch.url(), "SELECT count(*) FROM pg_roles WHERE rolname = 'sluice_reader'"))
                    .isZero();
        } finally {
            main("DROP PUBLICATION branch_test_pub", "DROP SCHEMA sluice CASCADE");
        }
    }

    @Test
    void branchOfABranchStartsFromItsParentsChanges() throws SQLException {
        Branch parent = store.create(BranchSpec.of("parent"));
        execute(parent.url(), "INSERT INTO items (name) VALUES ('made in parent')");
        Branch child = store.create(new BranchSpec("child", "parent", Optional.empty(), false));

        assertThat(child.parent()).contains("parent");
        assertThat(queryLong(child.url(), "SELECT count(*) FROM items WHERE name = 'made in parent'"))
                .isEqualTo(1);
        assertThat(password(child.url())).isNotEqualTo(password(parent.url()));
        assertThatThrownBy(
                        () -> connectAs(child.url().withCredentials(child.url().user(), password(parent.url()))))
                .as("the parent's password does not open the child")
                .isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> store.delete("parent", false))
                .isInstanceOfSatisfying(
                        BranchException.class, e -> assertThat(e.kind()).isEqualTo(BranchException.Kind.INVALID));
        assertThat(store.delete("parent", true)).isTrue();
        assertThat(queryLong(child.url(), "SELECT count(*) FROM items WHERE name = 'made in parent'"))
                .isEqualTo(1);
    }

    @Test
    void codeABranchsUserPlantsNeverRunsAsTheSuperuserWhenTheBranchIsBranched() throws SQLException {
        Branch parent = store.create(BranchSpec.of("planted"));
        // Tries to make the parent's role a superuser; as anyone but a superuser it quietly fails.
        String escalate = "CREATE FUNCTION public.escalate() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN"
                + " EXECUTE format('ALTER ROLE %I SUPERUSER', '" + parent.url().user() + "');"
                + " RETURN false; EXCEPTION WHEN OTHERS THEN RETURN false; END $$";
        execute(
                parent.url(),
                escalate,
                // Read as the catalog's by a session that searches public first.
                "CREATE VIEW public.pg_subscription AS SELECT 'x'::name AS subname, d.oid AS subdbid"
                        + " FROM pg_catalog.pg_database d WHERE d.datname = current_database() AND public.escalate()",
                "CREATE FUNCTION public.on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " PERFORM public.escalate(); RETURN NULL; END $$",
                "CREATE TRIGGER escalate BEFORE TRUNCATE ON items EXECUTE FUNCTION public.on_truncate()",
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET search_path = public, pg_catalog',"
                        + " current_database()); END $$");

        Branch full = store.create(new BranchSpec("planted-full", "planted", Optional.empty(), false));
        Branch empty = store.create(new BranchSpec("planted-empty", "planted", Optional.empty(), true));
        store.reset("planted-full");

        for (Branch child : List.of(full, empty)) {
            assertThat(queryString(child.url(), "SELECT string_agg(rolname, ',') FROM pg_roles WHERE rolsuper"))
                    .as("superusers of %s", child.name())
                    .isEqualTo("postgres");
        }
        assertThat(queryLong(empty.url(), "SELECT count(*) FROM items")).isZero();
        assertThat(queryLong(full.url(), "SELECT count(*) FROM items")).isPositive();
    }

    @Test
    void deleteStopsTheBranchAndFreesItsPortAndFiles() throws SQLException {
        Branch branch = store.create(BranchSpec.of("short-lived"));
        int port = branch.url().port();

        assertThat(store.delete("short-lived", false)).isTrue();

        assertThat(store.find("short-lived")).isEmpty();
        assertThat(root.resolve("branches").resolve("short-lived")).doesNotExist();
        assertThatThrownBy(() -> connectAs(branch.url())).isInstanceOf(SQLException.class);
        try (java.net.ServerSocket again =
                new java.net.ServerSocket(port, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        } catch (java.io.IOException e) {
            throw new AssertionError("port " + port + " is still taken", e);
        }
        assertThat(store.delete("short-lived", false)).isFalse();
    }

    @Test
    void listShowsMainFirstThenBranchesOldestFirst() {
        store.create(BranchSpec.of("listed-1"));
        store.create(new BranchSpec("listed-2", Branch.MAIN, Optional.of(Duration.ofDays(7)), false));

        List<Branch> all = store.list();
        assertThat(all.get(0).name()).isEqualTo(Branch.MAIN);
        List<String> names = all.stream().map(Branch::name).toList();
        assertThat(names.indexOf("listed-1")).isLessThan(names.indexOf("listed-2"));
        Branch second = store.find("listed-2").orElseThrow();
        assertThat(second.expiresAt()).contains(second.createdAt().plus(Duration.ofDays(7)));
    }

    // ---------------------------------------------------------------------------------------------

    private static final int ROWS_PER_TXN = 5;

    /** Commits transactions of {@value #ROWS_PER_TXN} rows with consecutive ids, and a running total. */
    private static void writeLedger(AtomicBoolean stop, AtomicLong committed) {
        try (Connection c = TestStores.connect(store.mainWriterUrl());
                PreparedStatement insert = c.prepareStatement("INSERT INTO ledger VALUES (?, ?, md5(?::text))");
                PreparedStatement total =
                        c.prepareStatement("UPDATE ledger_total SET total = total + " + ROWS_PER_TXN)) {
            c.setAutoCommit(false);
            long id = 0;
            for (long txn = 1; !stop.get(); txn++) {
                for (int i = 0; i < ROWS_PER_TXN; i++) {
                    id++;
                    insert.setLong(1, id);
                    insert.setLong(2, txn);
                    insert.setLong(3, id);
                    insert.addBatch();
                }
                insert.executeBatch();
                total.executeUpdate();
                c.commit();
                committed.set(txn);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitAtLeast(AtomicLong value, long wanted) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (value.get() < wanted) {
            assertThat(System.nanoTime())
                    .as("writer reaches %s transactions", wanted)
                    .isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private List<String> branchDirectories() {
        try (var entries = Files.list(root.resolve("branches"))) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void main(String... sql) throws SQLException {
        execute(store.mainWriterUrl(), sql);
    }

    static void execute(PgUrl url, String... sql) throws SQLException {
        try (Connection c = TestStores.connect(url);
                Statement s = c.createStatement()) {
            for (String statement : sql) {
                s.execute(statement);
            }
        }
    }

    static long queryLong(PgUrl url, String sql) throws SQLException {
        return Long.parseLong(queryString(url, sql));
    }

    static String queryString(PgUrl url, String sql) throws SQLException {
        try (Connection c = TestStores.connect(url);
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<String> values = new ArrayList<>();
            while (rs.next()) {
                values.add(rs.getString(1));
            }
            assertThat(values).as(sql).hasSize(1);
            return values.get(0);
        }
    }

    private static String password(PgUrl url) {
        return url.properties().getProperty("password");
    }

    private static void connectAs(PgUrl url) throws SQLException {
        TestStores.connect(url).close();
    }
}
