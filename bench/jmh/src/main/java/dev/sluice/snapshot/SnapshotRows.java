package dev.sluice.snapshot;

import dev.sluice.core.TableId;
import dev.sluice.core.event.Relation;
import dev.sluice.core.event.Relation.ReplicaIdentity;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.List;

/**
 * The rows of {@code bench/snapshot.d}'s tables that carry a transformed column, as {@code COPY TO}
 * sends them, made the way {@code data.sql} makes them, without a server.
 */
final class SnapshotRows {

    private static final DateTimeFormatter TS =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private SnapshotRows() {}

    static Relation relation(String table) {
        List<Relation.Column> columns = switch (table) {
            case "orders" ->
                List.of(
                        column("id", 20),
                        column("customer_id", 20),
                        column("status", 25),
                        column("currency", 1042),
                        column("total", 1700),
                        column("created_at", 1184),
                        column("shipped_at", 1184),
                        column("note", 25));
            case "events" ->
                List.of(
                        column("id", 20),
                        column("created_at", 1184),
                        column("customer_id", 20),
                        column("kind", 25),
                        column("payload", 3802));
            case "customers" ->
                List.of(
                        column("id", 20),
                        column("email", 25),
                        column("name", 25),
                        column("country", 1042),
                        column("created_at", 1184),
                        column("profile", 3802));
            default -> throw new IllegalArgumentException("table " + table + ": expected orders, events or customers");
        };
        return new Relation(1, new TableId("public", table), ReplicaIdentity.DEFAULT, columns);
    }

    private static Relation.Column column(String name, int typeOid) {
        return new Relation.Column(name, typeOid, -1, name.equals("id"));
    }

    /** Row {@code i} as {@code bench/snapshot.d/data.sql} makes it, as {@code COPY TO} prints it in UTC. */
    static String row(String table, long i) {
        StringBuilder b = new StringBuilder(200);
        switch (table) {
            case "orders" -> {
                String[] statuses = {
                    "delivered",
                    "delivered",
                    "delivered",
                    "delivered",
                    "shipped",
                    "paid",
                    "new",
                    "cancelled",
                    "returned",
                    "delivered"
                };
                String[] currencies = {"EUR", "EUR", "USD", "GBP", "CHF", "SEK"};
                long created = EPOCH_2020 + i * 100 + Math.floorMod(mix(i * 13), 100);
                b.append(i).append('\t');
                b.append(1 + Math.floorMod(mix(i), 250_000)).append('\t');
                b.append(statuses[(int) (i % 10)]).append('\t');
                b.append(currencies[Math.floorMod(mix(i * 11), 6)]).append('\t');
                long cents = Math.floorMod(mix(i * 7), 100_000);
                b.append(String.format("%d.%02d", cents / 100, cents % 100)).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(created))).append("+00\t");
                if (i % 10 == 6 || i % 10 == 7) {
                    b.append("\\N");
                } else {
                    b.append(TS.format(Instant.ofEpochSecond(created + (1 + i % 5) * 86_400)))
                            .append("+00");
                }
                b.append('\t').append(i % 3 == 0 ? "Leave at the door, code " + md5(i).substring(0, 12) : "\\N");
            }
            case "events" -> {
                String[] kinds = {"login", "page.view", "cart.add", "cart.remove", "order.created", "email.opened"};
                String[] agents = {"firefox", "chrome", "safari", "app-ios", "app-android"};
                long created = EPOCH_2024 + Math.floorMod(mix(i), 385 * 86_400);
                b.append(i).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(created))).append("+00\t");
                b.append(1 + Math.floorMod(mix(i * 17), 250_000)).append('\t');
                b.append(kinds[(int) (i % 6)]).append('\t');
                long v = Math.floorMod(mix(i * 19), 10_000);
                // jsonb prints keys shorter first, then in byte order.
                b.append("{\"ip\": \"10.")
                        .append(i % 256)
                        .append('.')
                        .append(i / 256 % 256)
                        .append('.')
                        .append(i % 7)
                        .append("\", \"agent\": \"")
                        .append(agents[(int) (i % 5)])
                        .append("\", \"value\": ")
                        .append(String.format("%d.%02d00000000000000", v / 100, v % 100))
                        .append(", \"session\": \"")
                        .append(md5(i))
                        .append("\"}");
            }
            case "customers" -> {
                String[] domains = {"example.com", "mail.test", "corp.example", "shop.example"};
                String[] tiers = {"free", "pro", "enterprise"};
                int c = Math.floorMod(mix(i), 250);
                b.append(i).append('\t');
                b.append("user")
                        .append(i)
                        .append('@')
                        .append(domains[(int) (i % 4)])
                        .append('\t');
                b.append("Customer ").append(md5(i), 0, 6).append(' ').append(i).append('\t');
                b.append((char) ('A' + c / 26)).append((char) ('A' + c % 26)).append('\t');
                b.append(TS.format(Instant.ofEpochSecond(EPOCH_2019 + Math.floorMod(mix(i * 5), 5 * 365 * 86_400))))
                        .append("+00\t");
                b.append("{\"tags\": [\"t")
                        .append(i % 17)
                        .append("\", \"t")
                        .append(i % 29)
                        .append("\"], \"tier\": \"")
                        .append(tiers[Math.floorMod(mix(i * 3), 3)])
                        .append("\", \"address\": {\"zip\": \"")
                        .append(String.format("%05d", i % 99_999))
                        .append("\", \"city\": \"City ")
                        .append(i % 5000)
                        .append("\", \"street\": \"")
                        .append(i % 999)
                        .append(" Main Street\"}, \"newsletter\": ")
                        .append(i % 3 == 0)
                        .append('}');
            }
            default -> throw new IllegalArgumentException(table);
        }
        return b.append('\n').toString();
    }

    private static final long EPOCH_2019 = Instant.parse("2019-01-01T00:00:00Z").getEpochSecond();
    private static final long EPOCH_2020 = Instant.parse("2020-01-01T00:00:00Z").getEpochSecond();
    private static final long EPOCH_2024 = Instant.parse("2024-01-01T00:00:00Z").getEpochSecond();

    /** 32 hex digits standing for {@code md5(i::text)}. */
    private static String md5(long i) {
        return HEX.toHexDigits(mix(i)) + HEX.toHexDigits(mix(~i));
    }

    private static long mix(long v) {
        long z = v * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
