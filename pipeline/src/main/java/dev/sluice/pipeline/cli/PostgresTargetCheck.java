package dev.sluice.pipeline.cli;

import dev.sluice.core.PgErrors;
import dev.sluice.pipeline.config.SluiceConfig;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/** Connects to the target once, so `check` reports an unreachable target or a wrong password. */
final class PostgresTargetCheck {

    private PostgresTargetCheck() {}

    static void run(SluiceConfig config, PrintWriter out) {
        try (Connection conn = DriverManager.getConnection(
                config.targetUrl().jdbcUrl(), config.targetUrl().sessionProperties("sluice-check"))) {
            conn.isValid(5);
            out.flush();
        } catch (SQLException e) {
            throw PgErrors.connectFailure("target", config.targetUrl(), e);
        }
    }
}
