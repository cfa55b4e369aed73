package dev.sluice.pipeline.api;

import dev.sluice.core.SluiceException;
import dev.sluice.core.SluiceException.Reason;
import java.net.InetSocketAddress;

/** Where the API listens: {@code HOST:PORT}, with {@code [v6]:PORT} for IPv6 literals. */
public record ListenAddress(String host, int port) {

    /**
     * Parses {@code HOST:PORT}; port 0 picks a free one.
     *
     * @param setting the setting the text came from, for the message
     */
    public static ListenAddress parse(String setting, String text) {
        String t = text == null ? "" : text.strip();
        int colon = t.lastIndexOf(':');
        if (colon <= 0 || colon == t.length() - 1) {
            throw invalid(setting, t);
        }
        String host = t.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(t.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw invalid(setting, t);
        }
        if (port < 0 || port > 65535 || host.isEmpty()) {
            throw invalid(setting, t);
        }
        return new ListenAddress(host, port);
    }

    private static SluiceException invalid(String setting, String text) {
        return new SluiceException(
                Reason.CONFIG, setting + " = '" + text + "' is not allowed; expected HOST:PORT such as 127.0.0.1:7654");
    }

    InetSocketAddress socketAddress() {
        return new InetSocketAddress(host, port);
    }

    @Override
    public String toString() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
