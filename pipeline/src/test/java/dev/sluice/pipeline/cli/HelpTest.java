package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.cli.CliErrorsTest.Result;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each command explains itself, whichever way a person asks. */
class HelpTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "init",
                "run",
                "snapshot",
                "status",
                "check",
                "destroy",
                "validate",
                "scan",
                "verify",
                "demo",
                "serve",
                "branch",
                "branch create",
                "branch reset"
            })
    void everyCommandAnswersHelpWithItsUsage(String command) {
        Result result = CliErrorsTest.sluice((command + " --help").split(" "));

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("Usage: sluice " + command);
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapshot", "branch"})
    void helpCommandShowsTheUsageOfTheCommandNamed(String command) {
        Result result = CliErrorsTest.sluice("help", command);

        assertThat(result.code()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("Usage: sluice " + command);
    }
}
