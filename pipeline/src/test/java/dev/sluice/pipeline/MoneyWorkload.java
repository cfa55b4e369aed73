package dev.sluice.pipeline;

import dev.sluice.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Small transactions moving money between 100 accounts and logging each move, until stopped: on
 * {@code accounts (id int PRIMARY KEY, balance bigint)} and {@code ledger (account int, amount
 * bigint, note text)}, a table without a key, where a transaction applied twice shows as duplicates.
 */
final class MoneyWorkload extends Workload {

    MoneyWorkload(TestDatabase source) {
        super(source);
    }

    @Override
    Transaction prepare(Connection c) throws Exception {
        PreparedStatement move = c.prepareStatement("UPDATE accounts SET balance = balance + ? WHERE id = ?");
        PreparedStatement log = c.prepareStatement("INSERT INTO ledger (account, amount, note) VALUES (?, ?, ?)");
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return () -> {
            int from = random.nextInt(1, 101);
            int to = random.nextInt(1, 101);
            long amount = random.nextLong(1, 1000);
            move.setLong(1, -amount);
            move.setInt(2, from);
            move.executeUpdate();
            move.setLong(1, amount);
            move.setInt(2, to);
            move.executeUpdate();
            log.setInt(1, from);
            log.setLong(2, amount);
            log.setString(3, "move " + transactions.get());
            log.executeUpdate();
            if (random.nextInt(10) == 0) {
                Thread.sleep(1);
            }
        };
    }
}
