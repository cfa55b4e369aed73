package dev.sluice.core;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * A PostgreSQL connection string, parsed once and printable without its password.
 *
 * <p>Accepts {@code postgres://user:password@host:port/db?param=value}, the {@code postgresql://}
 * spelling, and {@code jdbc:postgresql://host:port/db?user=..&password=..}. Query parameters are
 * passed to the driver as they are (for example {@code sslmode=require}).
 */
public final class PgUrl {

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final Map<String, String> params;

    private PgUrl(String host, int port, String database, String user, String password, Map<String, String> params) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.params = Map.copyOf(params);
    }

    public static PgUrl of(String host, int port, String database, String user, String password) {
        return new PgUrl(host, port, database, user, password, Map.of());
    }

    /**
     * Parses a connection string; the error names the problem but never repeats the password.
     *
     * @param what which setting the string came from, for the error message (e.g. {@code source.url})
     */
    public static PgUrl parse(String what, String text) {
        if (text == null || text.isBlank()) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    what + " is not set (expected postgres://user:password@host:5432/dbname)");
        }
        String rest;
        if (text.startsWith("postgres://")) {
            rest = text.substring("postgres://".length());
        } else if (text.startsWith("postgresql://")) {
            rest = text.substring("postgresql://".length());
        } else if (text.startsWith("jdbc:postgresql://")) {
            rest = text.substring("jdbc:postgresql://".length());
        } else {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    what + ": '" + maskText(text)
                            + "' is not a PostgreSQL URL (expected postgres://user:password@host:5432/dbname)");
        }
        Map<String, String> params = new LinkedHashMap<>();
        int q = rest.indexOf('?');
        if (q >= 0) {
            for (String pair : rest.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
                params.put(k, v);
            }
            rest = rest.substring(0, q);
        }
        String user = params.remove("user");
        String password = params.remove("password");
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
            if (colon >= 0) {
                password = decode(userInfo.substring(colon + 1));
            }
        }
        int slash = rest.indexOf('/');
        String hostPort = slash < 0 ? rest : rest.substring(0, slash);
        String database = slash < 0 ? "" : decode(rest.substring(slash + 1));
        String host = hostPort;
        int port = 5432;
        int colon = hostPort.lastIndexOf(':');
        if (colon >= 0 && !hostPort.endsWith("]")) {
            host = hostPort.substring(0, colon);
            String portText = hostPort.substring(colon + 1);
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                throw new SluiceException(
                        SluiceException.Reason.CONFIG,
                        what + ": port '" + portText + "' in " + maskText(text) + " is not a number");
            }
        }
        if (host.isEmpty()) {
            host = "localhost";
        }
        if (database.isEmpty()) {
            throw new SluiceException(
                    SluiceException.Reason.CONFIG,
                    what + ": " + maskText(text)
                            + " names no database (expected postgres://user:password@host:5432/dbname)");
        }
        return new PgUrl(host, port, database, user, password, params);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static boolean isSecret(String parameter) {
        String p = parameter.toLowerCase(Locale.ROOT);
        return p.contains("password") || p.contains("secret") || p.contains("token");
    }

    /** Masks a password in any URL-looking text, for messages about text that did not parse. */
    public static String maskText(String text) {
        return text.replaceAll("(://[^:/@?]*):[^@/?]*@", "$1:***@").replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    public String user() {
        return user;
    }

    /** The same server, another user. */
    public PgUrl withCredentials(String otherUser, String otherPassword) {
        return new PgUrl(host, port, database, otherUser, otherPassword, params);
    }

    /** A JDBC URL without credentials; pass {@link #properties()} alongside. */
    public String jdbcUrl() {
        String h = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + database;
    }

    /** Driver properties: user, password and the URL's query parameters. */
    public Properties properties() {
        Properties p = new Properties();
        params.forEach(p::setProperty);
        if (user != null) {
            p.setProperty("user", user);
        }
        if (password != null) {
            p.setProperty("password", password);
        }
        return p;
    }

    /**
     * Driver properties for a Sluice session: {@link #properties()} plus the application name and
     * pinned output settings.
     *
     * <p>Values travel in their text form, printed by the source session and parsed by the target
     * session; pinning the settings that shape that text (time zone, date and interval style, float
     * digits, bytea and money formats) on both sides makes every value round-trip byte-exact.
     */
    public Properties sessionProperties(String applicationName) {
        Properties p = properties();
        p.setProperty("ApplicationName", applicationName);
        String pinned = "-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres -c extra_float_digits=3"
                + " -c bytea_output=hex -c lc_monetary=C";
        String own = p.getProperty("options");
        p.setProperty("options", own == null || own.isBlank() ? pinned : own + " " + pinned);
        // Server error details can quote row values, which may be personal data.
        p.setProperty("logServerErrorDetail", "false");
        p.putIfAbsent("connectTimeout", "10");
        return p;
    }

    /**
     * {@link #sessionProperties} for a logical replication connection (walsender in database mode),
     * which speaks only the simple query protocol.
     */
    public Properties replicationProperties(String applicationName) {
        Properties p = sessionProperties(applicationName);
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        return p;
    }

    /** A {@code postgres://} URL with the password in it, for handing to a person or another tool. */
    public String toUrlWithPassword() {
        return format(password, false);
    }

    /** The URL with its password replaced by {@code ***}: safe for logs and errors. */
    @Override
    public String toString() {
        return format(password == null ? null : "***", true);
    }

    private String format(String shownPassword, boolean maskSecrets) {
        StringBuilder sb = new StringBuilder("postgres://");
        if (user != null) {
            sb.append(user);
            if (shownPassword != null) {
                sb.append(':').append(shownPassword);
            }
            sb.append('@');
        }
        sb.append(host).append(':').append(port).append('/').append(database);
        if (!params.isEmpty()) {
            sb.append('?');
            params.forEach((k, v) -> sb.append(k)
                    .append('=')
                    .append(maskSecrets && isSecret(k) ? "***" : v)
                    .append('&'));
            sb.setLength(sb.length() - 1);
        }
        return sb.toString();
    }
}
