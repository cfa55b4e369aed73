package dev.sluice.pipeline.demo;

import dev.sluice.core.PgUrl;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Random;

/** The demo's small shop: customers with personal data, their orders, and the orders' items. */
final class ShopSchema {

    static final List<String> FIRST_NAMES = List.of(
            "Ada",
            "Grace",
            "Linus",
            "Margaret",
            "Ken",
            "Barbara",
            "Edsger",
            "Frances",
            "Dennis",
            "Radia",
            "Bjarne",
            "Hedy",
            "Niklaus",
            "Adele",
            "Tim",
            "Sophie",
            "José",
            "Zoë",
            "Łukasz",
            "Mei");
    static final List<String> LAST_NAMES = List.of(
            "Lovelace",
            "Hopper",
            "Torvalds",
            "Hamilton",
            "Thompson",
            "Liskov",
            "Dijkstra",
            "Allen",
            "Ritchie",
            "Perlman",
            "Stroustrup",
            "Lamarr",
            "Wirth",
            "Goldberg",
            "Berners-Lee",
            "Wilson",
            "García",
            "Müller",
            "Kowalski",
            "Chen");
    static final List<String> CITIES =
            List.of("Lisbon", "Oslo", "Kraków", "Austin", "Nairobi", "Osaka", "Porto Alegre", "Tallinn", "Dublin");

    private ShopSchema() {}

    static void create(PgUrl url) {
        run(url, conn -> {
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled')");
                st.execute("CREATE TABLE customers (id bigserial PRIMARY KEY, first_name text NOT NULL,"
                        + " last_name text NOT NULL, email text NOT NULL UNIQUE, phone text, city text,"
                        + " created_at timestamptz NOT NULL DEFAULT now())");
                st.execute("CREATE TABLE orders (id bigserial PRIMARY KEY,"
                        + " customer_id bigint NOT NULL REFERENCES customers ON DELETE CASCADE,"
                        + " status order_status NOT NULL DEFAULT 'new', total numeric(12, 2) NOT NULL,"
                        + " created_at timestamptz NOT NULL DEFAULT now())");
                st.execute("CREATE INDEX ON orders (customer_id)");
                st.execute("CREATE TABLE order_items (order_id bigint REFERENCES orders ON DELETE CASCADE,"
                        + " line int, sku text NOT NULL, quantity int NOT NULL, PRIMARY KEY (order_id, line))");
            }
        });
    }

    /** Loads customers and orders in a few large transactions. */
    static void seed(PgUrl url, int customers, int orders) {
        run(url, conn -> {
            conn.setAutoCommit(false);
            Random random = new Random(42);
            try (PreparedStatement ps = conn.prepareStatement(
                    "INSERT INTO customers (first_name, last_name, email, phone, city) VALUES (?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= customers; i++) {
                    bindCustomer(ps, random, i);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            conn.commit();
            try (PreparedStatement ps =
                    conn.prepareStatement("INSERT INTO orders (customer_id, total) VALUES (?, ?)")) {
                for (int i = 1; i <= orders; i++) {
                    ps.setLong(1, 1 + random.nextInt(customers));
                    ps.setBigDecimal(2, java.math.BigDecimal.valueOf(random.nextInt(100_000), 2));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            conn.commit();
        });
    }

    static void bindCustomer(PreparedStatement ps, Random random, long n) throws SQLException {
        String first = FIRST_NAMES.get(random.nextInt(FIRST_NAMES.size()));
        String last = LAST_NAMES.get(random.nextInt(LAST_NAMES.size()));
        ps.setString(1, first);
        ps.setString(2, last);
        ps.setString(3, (first + "." + last).toLowerCase().replaceAll("[^a-z.]", "") + n + "@example.com");
        ps.setString(4, String.format("+1-555-%03d-%04d", random.nextInt(1000), random.nextInt(10_000)));
        ps.setString(5, CITIES.get(random.nextInt(CITIES.size())));
    }

    @FunctionalInterface
    interface SqlWork {
        void run(Connection conn) throws SQLException;
    }

    static void run(PgUrl url, SqlWork work) {
        try (Connection conn = DriverManager.getConnection(url.jdbcUrl(), url.properties())) {
            work.run(conn);
        } catch (SQLException e) {
            throw new IllegalStateException("demo database work failed on " + url + ": " + e.getMessage(), e);
        }
    }
}
