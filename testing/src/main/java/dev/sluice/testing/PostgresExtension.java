package dev.sluice.testing;

import dev.sluice.localpg.LocalPostgres;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Injects test parameters of the default version's server ({@link TestPostgres#server()}): a
 * {@link TestDatabase} (a fresh one per parameter, dropped when the test, or for {@code @BeforeAll}
 * parameters the class, is done), the {@link PgServer}, or its {@link LocalPostgres}.
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class SinkTest {
 *     @Test
 *     void appliesInserts(TestDatabase source, TestDatabase target) { ... }
 * }
 * }</pre>
 */
public final class PostgresExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestDatabase.class || type == PgServer.class || type == LocalPostgres.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        PgServer server = TestPostgres.server();
        if (type == TestDatabase.class) {
            TestDatabase database = server.createDatabase();
            // The store closes AutoCloseable values when its context ends, which drops the database.
            context.getStore(NAMESPACE).put(database.name() + "@" + server.majorVersion(), database);
            return database;
        }
        return type == PgServer.class ? server : server.postgres();
    }
}
