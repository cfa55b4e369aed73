package dev.sluice.pipeline.cli;

import dev.sluice.core.SluiceException;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sluice} command line. */
@Command(
        name = "sluice",
        mixinStandardHelpOptions = true,
        // Every command, and each command of a group, answers --help (and --version).
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = SluiceCli.Version.class,
        description = "Streams a production PostgreSQL into staging: snapshot, then WAL, exactly once.",
        subcommands = {
            InitCommand.class,
            RunCommand.class,
            SnapshotCommand.class,
            StatusCommand.class,
            CheckCommand.class,
            DestroyCommand.class,
            ValidateCommand.class,
            ScanCommand.class,
            VerifyCommand.class,
            DemoCommand.class,
            BranchCommand.class,
            ServeCommand.class,
            CommandLine.HelpCommand.class
        })
public final class SluiceCli {

    /** The process environment as commands see it; tests pass their own. */
    static Map<String, String> env = System.getenv();

    public static void main(String[] args) {
        if (Boolean.getBoolean(ClassTraining.PROPERTY)) {
            ClassTraining.startInBackground();
        }
        int code = run(args, System.getenv(), new PrintWriter(System.out, true), new PrintWriter(System.err, true));
        System.exit(code);
    }

    /** Runs one command and returns its exit code; errors a person can fix print as one message, no stack trace. */
    public static int run(String[] args, Map<String, String> environment, PrintWriter out, PrintWriter err) {
        env = environment;
        CommandLine cli = new CommandLine(new SluiceCli());
        cli.getSubcommands().values().forEach(sub -> {
            if (sub.getCommandName().equals("demo") || sub.getCommandName().equals("help")) {
                return;
            }
            // A command group (branch) takes its settings on each of its commands.
            if (sub.getSubcommands().isEmpty()) {
                ConfigOptions.addTo(sub.getCommandSpec());
            } else {
                sub.getSubcommands().values().forEach(leaf -> ConfigOptions.addTo(leaf.getCommandSpec()));
            }
        });
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof SluiceException se) {
                err.println("error: " + se.getMessage());
                return se.reason().exitCode();
            }
            err.println("internal error: " + e);
            e.printStackTrace(err);
            return 1;
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = SluiceCli.class.getPackage().getImplementationVersion();
            return new String[] {"sluice " + (v == null ? "development build" : v)};
        }
    }
}
