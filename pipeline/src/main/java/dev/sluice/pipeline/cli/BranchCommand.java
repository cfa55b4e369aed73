package dev.sluice.pipeline.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.branching.Branch;
import dev.sluice.branching.BranchException;
import dev.sluice.branching.BranchSpec;
import dev.sluice.core.SluiceException;
import dev.sluice.pipeline.api.HttpBranches;
import dev.sluice.pipeline.api.Json;
import dev.sluice.pipeline.api.Ttl;
import dev.sluice.pipeline.config.SluiceConfig;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice branch ...}: the branch lifecycle, through the REST API of {@code sluice serve}.
 *
 * <p>Commands that hand out a branch print its connection string, with the password, alone on
 * stdout, so {@code URL=$(sluice branch create pr-42)} works; what happened goes to stderr.
 */
@Command(
        name = "branch",
        description = "Create, list, reset and delete branches through the API of `sluice serve`"
                + " (--api-url, token from SLUICE_API_TOKEN).",
        synopsisSubcommandLabel = "COMMAND",
        subcommands = {
            BranchCommand.Create.class,
            BranchCommand.ListBranches.class,
            BranchCommand.Url.class,
            BranchCommand.Reset.class,
            BranchCommand.Delete.class
        })
final class BranchCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /** The API client, from api.url and api.token as flags, environment or sluice.yaml give them. */
    static HttpBranches api(CommandSpec spec) {
        SluiceConfig config = ConfigOptions.load(spec, SluiceCli.env);
        return HttpBranches.connect(config.apiUrl(), config.apiToken());
    }

    @Command(name = "create", description = "Create a branch and print its connection string.")
    static final class Create implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME", description = "Lower-case letters, digits, '-' and '_'.")
        String name;

        @Option(names = "--from", paramLabel = "BRANCH", description = "Branch to clone (default: main).")
        String from = Branch.MAIN;

        @Option(
                names = "--ttl",
                paramLabel = "DURATION",
                description = "Delete it after this long: 7d, 12h, 30m, or ISO-8601 (P7D). Default: never.")
        String ttl;

        @Option(names = "--schema-only", description = "The parent's structure without its rows.")
        boolean schemaOnly;

        @Option(
                names = "--if-not-exists",
                description = "When the name is taken, print that branch's connection string and exit 0.")
        boolean ifNotExists;

        @Override
        public Integer call() {
            BranchSpec branch = spec();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (HttpBranches api = api(spec)) {
                Branch created = api.create(branch);
                err.println("Created branch " + created.name() + " from " + branch.from()
                        + created.expiresAt()
                                .map(t -> ", expires " + Json.time(t))
                                .orElse("")
                        + (created.copyOnWrite() ? "" : " (a full copy: the store cannot clone copy-on-write)"));
                out.println(created.url().toUrlWithPassword());
                return 0;
            } catch (BranchException e) {
                if (e.kind() != BranchException.Kind.EXISTS) {
                    throw e;
                }
                if (ifNotExists && e.existing().isPresent()) {
                    err.println("Branch " + name + " exists; using it.");
                    out.println(e.existing().get().url().toUrlWithPassword());
                    return 0;
                }
                throw new BranchException(
                        BranchException.Kind.EXISTS,
                        e.getMessage() + ": pass --if-not-exists to use it, or delete it first");
            }
        }

        private BranchSpec spec() {
            try {
                return new BranchSpec(name, from, Ttl.parse("--ttl", ttl), schemaOnly);
            } catch (IllegalArgumentException e) {
                throw new SluiceException(SluiceException.Reason.CONFIG, e.getMessage());
            }
        }
    }

    @Command(name = "list", description = "List the branches, main included.")
    static final class ListBranches implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--json", description = "Print the API's JSON, connection strings with passwords included.")
        boolean json;

        @Override
        public Integer call() throws JsonProcessingException {
            PrintWriter out = spec.commandLine().getOut();
            List<Branch> branches;
            try (HttpBranches api = api(spec)) {
                branches = api.list();
            }
            if (json) {
                out.println(new ObjectMapper()
                        .enable(SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(Map.of(
                                "branches", branches.stream().map(Json::branch).toList())));
                return 0;
            }
            String format = "%-24s %-16s %-9s %-21s %-21s %s%n";
            out.printf(format, "NAME", "PARENT", "STATE", "CREATED", "EXPIRES", "URL");
            for (Branch b : branches) {
                // The text listing masks passwords: it ends up in terminals and CI logs. `branch url` prints one.
                out.printf(
                        format,
                        b.name(),
                        b.parent().orElse("-"),
                        b.state().name().toLowerCase(java.util.Locale.ROOT),
                        Json.time(b.createdAt()),
                        b.expiresAt().map(Json::time).orElse("-"),
                        b.url());
            }
            return 0;
        }
    }

    @Command(name = "url", description = "Print a branch's connection string, with its password.")
    static final class Url implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (HttpBranches api = api(spec)) {
                Branch b = api.find(name).orElseThrow(() -> notFound(name));
                spec.commandLine().getOut().println(b.url().toUrlWithPassword());
                return 0;
            }
        }
    }

    @Command(
            name = "reset",
            description = "Re-clone a branch from its parent's current state; its connection string stays the same.")
    static final class Reset implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            try (HttpBranches api = api(spec)) {
                Branch b = api.reset(name);
                spec.commandLine()
                        .getErr()
                        .println("Reset branch " + b.name() + " from "
                                + b.parent().orElse("-"));
                spec.commandLine().getOut().println(b.url().toUrlWithPassword());
                return 0;
            }
        }
    }

    @Command(name = "delete", description = "Delete a branch and free its storage.")
    static final class Delete implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "Delete it even though other branches were cloned from it.")
        boolean force;

        @Option(names = "--if-exists", description = "Exit 0 when there is no such branch.")
        boolean ifExists;

        @Override
        public Integer call() {
            try (HttpBranches api = api(spec)) {
                if (api.delete(name, force)) {
                    spec.commandLine().getErr().println("Deleted branch " + name);
                } else if (ifExists) {
                    spec.commandLine().getErr().println("No branch " + name + "; nothing to delete.");
                } else {
                    throw notFound(name);
                }
                return 0;
            }
        }
    }

    private static BranchException notFound(String name) {
        return new BranchException(
                BranchException.Kind.NOT_FOUND, "no branch '" + name + "' (`sluice branch list` shows them)");
    }
}
