package dev.sluice.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Every YAML file under config-examples/ parses, so a broken example fails the build. */
class ConfigExamplesTest {

    private static final Path EXAMPLES = Path.of("..", "config-examples");

    @Test
    void everyExampleIsValidYaml() throws IOException {
        List<Path> files = yamlFiles();
        assertThat(files).as("YAML files under %s", EXAMPLES.toAbsolutePath()).isNotEmpty();
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        for (Path file : files) {
            JsonNode root = yaml.readTree(file.toFile());
            assertThat(root).as(file.toString()).isNotNull();
            assertThat(root.isObject()).as("%s holds a mapping", file).isTrue();
        }
    }

    @Test
    void everyGitHubWorkflowHasJobsWithARunnerAndSteps() throws IOException {
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        List<Path> workflows = yamlFiles().stream()
                .filter(f -> f.toString().contains("github-actions"))
                .toList();
        assertThat(workflows).isNotEmpty();
        for (Path file : workflows) {
            JsonNode root = yaml.readTree(file.toFile());
            assertThat(root.has("on")).as("%s says when it runs ('on')", file).isTrue();
            JsonNode jobs = root.path("jobs");
            assertThat(jobs.size()).as("%s has jobs", file).isPositive();
            jobs.properties().forEach(job -> {
                assertThat(job.getValue().has("runs-on"))
                        .as("%s job %s has runs-on", file, job.getKey())
                        .isTrue();
                assertThat(job.getValue().path("steps").isArray())
                        .as("%s job %s has steps", file, job.getKey())
                        .isTrue();
            });
        }
    }

    private static List<Path> yamlFiles() throws IOException {
        try (Stream<Path> all = Files.walk(EXAMPLES)) {
            return all.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml"))
                    .sorted()
                    .toList();
        }
    }
}
