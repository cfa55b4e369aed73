package dev.sluice.testing;

import dev.sluice.localpg.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;

/** Run in a child JVM: starts a server, prints the postmaster's pid and exits without stopping it. */
final class StartAndExit {

    private StartAndExit() {}

    public static void main(String[] args) throws Exception {
        LocalPostgres pg = LocalPostgres.builder(Path.of(args[0]))
                .settings(TestPostgres.SETTINGS)
                .start();
        System.out.println(
                Files.readAllLines(pg.dataDirectory().resolve("postmaster.pid")).get(0));
    }
}
