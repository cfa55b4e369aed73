package dev.sluice.branching;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class BranchStoreSmokeTest {

    @Test
    @Timeout(120)
    void createsABranchWithMainsRows() throws Exception {
        Path root = TestStores.newRoot("smoke");
        try (BranchStore store = BranchStore.open(root, TestStores.options())) {
            try (Connection c = TestStores.connect(store.mainWriterUrl());
                    Statement s = c.createStatement()) {
                s.execute("CREATE TABLE t (id int primary key, v text)");
                s.execute("INSERT INTO t SELECT g, 'v' || g FROM generate_series(1, 1000) g");
            }
            long t0 = System.nanoTime();
            Branch b = store.create(BranchSpec.of("b1"));
            System.out.println("create took " + (System.nanoTime() - t0) / 1_000_000 + " ms; "
                    + store.filesystemDescription() + " " + b);
            try (Connection c = TestStores.connect(b.url());
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM t")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1000);
            }
        } finally {
            TestStores.delete(root);
        }
    }
}
