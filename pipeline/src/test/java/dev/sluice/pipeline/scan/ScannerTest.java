package dev.sluice.pipeline.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.core.TableFilter;
import dev.sluice.core.TableId;
import dev.sluice.pipeline.source.postgres.SourceSchemaReader;
import dev.sluice.testing.TestDatabase;
import dev.sluice.testing.TestPostgres;
import dev.sluice.transform.Keyring;
import dev.sluice.transform.rules.CompiledRules;
import dev.sluice.transform.rules.Rules;
import dev.sluice.transform.rules.Rules.ColumnRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scan classifies a seeded schema by name and by content, proposes the collision-free variant
 * under unique indexes and the same transformer at both ends of a foreign key, and writes a strict
 * file that loads and compiles against the same source.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ScannerTest {

    private static final int CUSTOMERS = 300;

    @TempDir
    Path dir;

    @AfterEach
    void resetSampling() {
        SampleReader.smallTableBytes = SampleReader.SMALL_TABLE_BYTES;
    }

    @Test
    void classifiesBothByNameAndByContentAndTheFileCompilesAgainstTheSource() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            seed(source);

            ScanResult result = Scanner.scan(source.url(), TableFilter.all(), 1000, line -> {});
            String yaml = result.yaml();
            Path file = dir.resolve("transform.yaml");
            Files.writeString(file, yaml);

            Rules rules = Rules.load(file);
            assertThat(rules.validationMode().word()).isEqualTo("strict");
            Map<String, String> customers = transformers(rules, "customers");
            assertThat(customers)
                    .containsEntry("id", "noop")
                    .containsEntry("email", "email_fpe")
                    .containsEntry("contact", "phone")
                    .containsEntry("first_name", "first_name")
                    .containsEntry("surname", "last_name")
                    .containsEntry("name", "full_name")
                    .containsEntry("card", "credit_card")
                    .containsEntry("ref_number", "noop")
                    .containsEntry("tax", "ssn")
                    .containsEntry("origin", "ip")
                    .containsEntry("last_seen_from", "ip")
                    .containsEntry("payout", "digits_fpe")
                    .containsEntry("notes", "text")
                    .containsEntry("remarks", "noop")
                    .containsEntry("password", "hash")
                    .containsEntry("born", "date_shift")
                    .containsEntry("created_at", "noop")
                    .containsEntry("prefs", "noop")
                    .containsEntry("profile", "json")
                    .containsEntry("tags", "noop")
                    .containsEntry("aliases", "first_name")
                    // No user name transformer keeps values distinct: format-preserving encryption of the text.
                    .containsEntry("username", "string_fpe");
            Map<String, String> orders = transformers(rules, "orders");
            assertThat(orders)
                    .containsEntry("id", "noop")
                    .containsEntry("customer_id", "noop")
                    // The same transformer as the column it references, so the key still matches.
                    .containsEntry("customer_email", "email_fpe")
                    .containsEntry("total", "noop");
            assertThat(transformers(rules, "products")).containsEntry("name", "noop");

            assertThat(yaml)
                    .contains("validation_mode: strict")
                    .contains("        # name matches 'email'; 100% of 300 sampled values are email addresses;"
                            + " unique index customers_email_key (email): email_fpe keeps values distinct\n"
                            + "        email: email_fpe\n")
                    .contains("        # 100% of 300 sampled values are phone numbers\n        contact: phone\n")
                    .contains("# name matches 'card'; 100% of 300 sampled values are payment card numbers")
                    .contains("100% of 300 sampled values are US social security numbers")
                    .contains("100% of 300 sampled values are IBANs")
                    .contains("# of 300 sampled values, 30 contain an email address\n        notes: text\n")
                    .contains("; references public.customers(email): the same transformer, so the key still matches\n"
                            + "        customer_email: email_fpe\n")
                    .contains("# review: name suggests person names ('name'), but the sampled values do not")
                    .contains("path: '$.contact.email'")
                    .contains("# name matches 'username'; unique index customers_username_key (username): string_fpe"
                            + " keeps values distinct; text, the usual choice, could map two values alike\n")
                    .doesNotContain("customer1@")
                    .doesNotContain("4111");
            // Parameters travel as YAML the rules parser reads back.
            ColumnRule born = rules.table(new TableId("public", "customers"))
                    .orElseThrow()
                    .columns()
                    .get("born");
            assertThat(born.steps().get(0).parameters()).containsEntry("max_days", 365L);

            CompiledRules compiled = CompiledRules.compile(
                    rules,
                    StandInTransformers.registry(),
                    Keyring.of(new byte[32]),
                    SourceSchemaReader.read(source.url(), TableFilter.all()));
            assertThat(compiled.summary().coveredColumns())
                    .isEqualTo(compiled.summary().replicatedColumns())
                    .isPositive();
            assertThat(result.summary()).contains("3 table(s)").contains("email_fpe x2");
        }
    }

    @Test
    void largeAndPartitionedTablesAreSampledByPage() throws Exception {
        try (TestDatabase source = TestPostgres.server().createDatabase()) {
            source.execute(
                    "CREATE TABLE visits (id int, region text, email text, PRIMARY KEY (id, region))"
                            + " PARTITION BY LIST (region)",
                    "CREATE TABLE visits_eu PARTITION OF visits FOR VALUES IN ('eu')",
                    "CREATE TABLE visits_us PARTITION OF visits FOR VALUES IN ('us')",
                    "INSERT INTO visits SELECT i, CASE WHEN i % 2 = 0 THEN 'eu' ELSE 'us' END,"
                            + " 'visitor' || i || '@example.org' FROM generate_series(1, 5000) i",
                    "ANALYZE visits");
            SampleReader.smallTableBytes = 0;

            List<String> progress = new ArrayList<>();
            ScanResult result = Scanner.scan(source.url(), TableFilter.all(), 200, progress::add);

            assertThat(progress).singleElement().asString().startsWith("public.visits: 200 rows sampled (TABLESAMPLE");
            Map<String, String> visits = transformers(Rules.parse("t.yaml", result.yaml()), "visits");
            assertThat(visits).containsEntry("email", "email").containsEntry("region", "noop");
        }
    }

    private static Map<String, String> transformers(Rules rules, String table) {
        Map<String, String> out = new LinkedHashMap<>();
        rules.table(new TableId("public", table))
                .orElseThrow()
                .columns()
                .forEach((name, rule) -> out.put(name, rule.steps().get(0).name()));
        return out;
    }

    /** Customers with every kind of personal data, their orders, and products without any. */
    static void seed(TestDatabase source) throws Exception {
        source.execute(
                "CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE, contact text,"
                        + " first_name text, surname text, name text, card text, ref_number text, tax text,"
                        + " origin text, last_seen_from inet, payout text, notes text, remarks text,"
                        + " password text, born date, created_at timestamptz NOT NULL DEFAULT now(),"
                        + " prefs jsonb, profile jsonb, tags text[], aliases text[], username varchar(40) UNIQUE)",
                "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint NOT NULL REFERENCES customers,"
                        + " customer_email text REFERENCES customers (email), total numeric(10, 2))",
                "CREATE TABLE products (id int PRIMARY KEY, name text NOT NULL, sku text)");
        List<String> firsts = List.of("Ada", "Grace", "Linus", "Margaret", "Barbara", "Dennis", "Sophie", "José");
        List<String> lasts = List.of("Lovelace", "Hopper", "Torvalds", "Hamilton", "Liskov", "Ritchie", "Wilson");
        Random random = new Random(1);
        try (Connection c = source.connect();
                PreparedStatement ps = c.prepareStatement("INSERT INTO customers (id, email, contact, first_name,"
                        + " surname, name, card, ref_number, tax, origin, last_seen_from, payout, notes, remarks,"
                        + " password, born, prefs, profile, tags, aliases, username)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::inet, ?, ?, ?, ?, ?::date, ?::jsonb, ?::jsonb,"
                        + " ?::text[], ?::text[], ?)")) {
            for (int i = 1; i <= CUSTOMERS; i++) {
                String first = firsts.get(random.nextInt(firsts.size()));
                String last = lasts.get(random.nextInt(lasts.size()));
                ps.setLong(1, i);
                ps.setString(2, "customer" + i + "@example.com");
                ps.setString(3, String.format("+1 (555) %03d-%04d", random.nextInt(1000), random.nextInt(10_000)));
                ps.setString(4, first);
                ps.setString(5, last);
                ps.setString(6, first + " " + last);
                ps.setString(7, card(random));
                ps.setString(8, digits(random, 16));
                ps.setString(
                        9,
                        String.format(
                                "%03d-%02d-%04d",
                                100 + random.nextInt(500), 1 + random.nextInt(98), 1 + random.nextInt(9998)));
                ps.setString(10, i % 2 == 0 ? "10.1." + (i % 250) + ".7" : "2001:db8::" + Integer.toHexString(i));
                ps.setString(11, "192.0.2." + (i % 250));
                ps.setString(12, iban(random));
                ps.setString(
                        13,
                        i % 10 == 0
                                ? "Asked to be reached at someone" + i + "@example.net after 5pm"
                                : "Delivered on time, left at the door");
                ps.setString(14, "Order " + digits(random, 6) + " packed on 2024-05-0" + (1 + i % 9));
                ps.setString(15, "$2b$12$" + digits(random, 20));
                ps.setString(
                        16, (1950 + random.nextInt(50)) + "-0" + (1 + random.nextInt(9)) + "-1" + random.nextInt(10));
                ps.setString(17, "{\"theme\": \"dark\", \"newsletter\": " + (i % 2 == 0) + "}");
                ps.setString(18, "{\"contact\": {\"email\": \"c" + i + "@example.com\"}, \"plan\": \"pro\"}");
                ps.setString(19, "{red,green}");
                ps.setString(20, "{" + first + "," + firsts.get(random.nextInt(firsts.size())) + "}");
                ps.setString(21, first.toLowerCase(java.util.Locale.ROOT) + "_" + i);
                ps.addBatch();
            }
            ps.executeBatch();
        }
        source.execute(
                "INSERT INTO orders SELECT i, 1 + i % " + CUSTOMERS + ", 'customer' || (1 + i % " + CUSTOMERS
                        + ") || '@example.com', i FROM generate_series(1, 600) i",
                "INSERT INTO products SELECT i, (ARRAY['Blue Widget', 'Red Gadget', 'Steel Bolt'])[1 + i % 3],"
                        + " 'SKU-' || i FROM generate_series(1, 50) i",
                "ANALYZE");
    }

    private static String digits(Random random, int n) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(random.nextInt(10));
        }
        return b.toString();
    }

    /** A Visa-like number with a valid Luhn digit, printed in groups of four. */
    private static String card(Random random) {
        String body = "4" + digits(random, 14);
        for (int check = 0; check < 10; check++) {
            if (Detectors.luhnValid(body + check)) {
                String n = body + check;
                return n.substring(0, 4) + " " + n.substring(4, 8) + " " + n.substring(8, 12) + " " + n.substring(12);
            }
        }
        throw new IllegalStateException();
    }

    /** A German IBAN with valid check digits. */
    private static String iban(Random random) {
        String bban = digits(random, 18);
        int check = 98 - Detectors.ibanMod97("DE00" + bban);
        return String.format("DE%02d%s", check, bban);
    }
}
