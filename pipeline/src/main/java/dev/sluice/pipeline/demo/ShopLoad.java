package dev.sluice.pipeline.demo;

import dev.sluice.core.PgUrl;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A light, steady write load on the demo's source: sign-ups, orders with items, payments, cancellations. */
final class ShopLoad {

    private static final Logger log = LoggerFactory.getLogger(ShopLoad.class);

    private final PgUrl url;
    private final long pauseNanos;
    private final Thread thread;
    private volatile boolean stopped;

    ShopLoad(PgUrl url, int transactionsPerSecond) {
        this.url = url;
        this.pauseNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, transactionsPerSecond);
        this.thread = new Thread(this::loop, "demo-load");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    void stop() {
        stopped = true;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void loop() {
        Random random = new Random();
        try (Connection conn = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            conn.setAutoCommit(false);
            long n = 1_000_000;
            while (!stopped) {
                long started = System.nanoTime();
                switch (random.nextInt(10)) {
                    case 0 -> signUp(conn, random, n++);
                    case 1, 2, 3, 4 -> placeOrder(conn, random);
                    case 5, 6, 7 ->
                        execute(
                                conn,
                                "UPDATE orders SET status = 'paid' WHERE id = (SELECT id FROM orders"
                                        + " WHERE status = 'new' ORDER BY random() LIMIT 1)");
                    case 8 ->
                        execute(
                                conn,
                                "UPDATE customers SET city = '"
                                        + ShopSchema.CITIES.get(random.nextInt(ShopSchema.CITIES.size()))
                                        + "' WHERE id = (SELECT max(id) FROM customers) - "
                                        + random.nextInt(100));
                    default ->
                        execute(
                                conn,
                                "DELETE FROM orders WHERE id = (SELECT min(id) FROM orders" + " WHERE status = 'new')");
                }
                conn.commit();
                long left = pauseNanos - (System.nanoTime() - started);
                if (left > 0) {
                    TimeUnit.NANOSECONDS.sleep(left);
                }
            }
        } catch (SQLException e) {
            if (!stopped) {
                log.warn("The demo load stopped: {}", e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void signUp(Connection conn, Random random, long n) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO customers (first_name, last_name, email, phone, city) VALUES (?, ?, ?, ?, ?)")) {
            ShopSchema.bindCustomer(ps, random, n);
            ps.executeUpdate();
        }
    }

    private static void placeOrder(Connection conn, Random random) throws SQLException {
        long orderId;
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO orders (customer_id, total)"
                + " SELECT id, ? FROM customers ORDER BY random() LIMIT 1 RETURNING id")) {
            ps.setBigDecimal(1, BigDecimal.valueOf(random.nextInt(50_000), 2));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                orderId = rs.getLong(1);
            }
        }
        try (PreparedStatement ps = conn.prepareStatement("INSERT INTO order_items VALUES (?, ?, ?, ?)")) {
            for (int line = 1; line <= 1 + random.nextInt(4); line++) {
                ps.setLong(1, orderId);
                ps.setInt(2, line);
                ps.setString(3, "SKU-" + (1000 + random.nextInt(9000)));
                ps.setInt(4, 1 + random.nextInt(5));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void execute(Connection conn, String sql) throws SQLException {
        try (var st = conn.createStatement()) {
            st.execute(sql);
        }
    }
}
