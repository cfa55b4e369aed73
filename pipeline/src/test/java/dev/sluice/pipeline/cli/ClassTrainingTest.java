package dev.sluice.pipeline.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClassTrainingTest {

    @Test
    void everyColumnOfTheMadeUpRowsGoesThroughItsTransformer() {
        assertThat(ClassTraining.train())
                .containsExactlyInAnyOrder(
                        "id",
                        "email",
                        "contact",
                        "name",
                        "first",
                        "phone",
                        "note",
                        "token",
                        "street",
                        "city",
                        "zip",
                        "created_at",
                        "born",
                        "ip",
                        "card",
                        "profile");
    }
}
