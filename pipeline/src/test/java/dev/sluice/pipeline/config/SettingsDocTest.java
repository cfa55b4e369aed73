package dev.sluice.pipeline.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's configuration reference is the settings table, so no key goes undocumented or stale. */
class SettingsDocTest {

    @Test
    void readmeDocumentsEverySettingWithItsDefault() throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        String begin = "<!-- settings:begin -->\n";
        String block =
                readme.substring(readme.indexOf(begin) + begin.length(), readme.indexOf("<!-- settings:end -->"));
        assertThat(block).isEqualTo(table());
    }

    /** The text between the markers; paste it into the README when a setting changes. */
    static String table() {
        StringBuilder sb =
                new StringBuilder("| key | flag | environment | default | meaning |\n|---|---|---|---|---|\n");
        for (Setting s : Setting.values()) {
            sb.append("| `")
                    .append(s.key())
                    .append("` | `")
                    .append(s.flag())
                    .append("` | `")
                    .append(s.env())
                    .append("` | ")
                    .append(
                            s.defaultValue() == null
                                    ? "(required)"
                                    : s.defaultValue().isEmpty()
                                            ? (s.kind() == Setting.Kind.LIST
                                                            || s.kind() == Setting.Kind.FILE
                                                            || s.kind() == Setting.Kind.LSN
                                                            || s.kind() == Setting.Kind.NAME
                                                            || s.kind() == Setting.Kind.SECRET
                                                    ? "(none)"
                                                    : "(auto)")
                                            : "`" + s.defaultValue() + "`")
                    .append(" | ")
                    .append(s.description())
                    .append(" |\n");
        }
        return sb.toString();
    }
}
