package dev.sluice.core;

import dev.sluice.core.SluiceException.Reason;
import java.sql.SQLException;

/** Turns JDBC failures on connecting into messages that say what is wrong and how to fix it. */
public final class PgErrors {

    private PgErrors() {}

    /**
     * Whether a failure is about reaching or logging in to the server (no connection, connection
     * lost, login refused, no such database) rather than about the statement.
     */
    public static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.isEmpty() || state.startsWith("08") || state.startsWith("28") || state.equals("3D000");
    }

    /**
     * Explains a failure to connect.
     *
     * @param role "source" or "target", as the user configured it
     * @param url where Sluice tried to connect; printed masked
     */
    public static SluiceException connectFailure(String role, PgUrl url, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        Reason unreachable = role.equals("target") ? Reason.TARGET_UNREACHABLE : Reason.SOURCE_UNREACHABLE;
        if (state.equals("28P01") || state.equals("28000")) {
            return new SluiceException(
                    Reason.AUTHENTICATION,
                    "The " + role + " server at " + url + " refused user '" + url.user() + "': "
                            + firstLine(e.getMessage())
                            + ". Check the user name and password in " + role + ".url (or SLUICE_"
                            + role.toUpperCase() + "_URL), and that pg_hba.conf allows this host.",
                    e);
        }
        if (state.equals("3D000")) {
            return new SluiceException(
                    unreachable,
                    "The " + role + " database '" + url.database() + "' does not exist on " + url.host() + ":"
                            + url.port() + ". Create it, or fix the database name in " + role + ".url.",
                    e);
        }
        if (state.startsWith("08") || state.isEmpty()) {
            return new SluiceException(
                    unreachable,
                    "Cannot reach the " + role + " server at " + url + ": " + firstLine(e.getMessage())
                            + ". Check that the server is running, that host and port in " + role
                            + ".url are right, and that no firewall is in the way.",
                    e);
        }
        return new SluiceException(
                unreachable,
                "Cannot connect to the " + role + " server at " + url + ": " + firstLine(e.getMessage()) + " (SQLSTATE "
                        + state + ").",
                e);
    }

    /** The first line of a driver message, which holds the reason; later lines may quote data. */
    public static String firstLine(String message) {
        if (message == null) {
            return "(no message)";
        }
        int nl = message.indexOf('\n');
        String line = nl < 0 ? message : message.substring(0, nl);
        return line.endsWith(".") ? line.substring(0, line.length() - 1) : line;
    }
}
