package dev.sluice.pipeline.scan;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.pipeline.scan.ColumnType.Category;
import dev.sluice.pipeline.scan.Proposals.Proposal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The proposal table: the collision-free variant under a unique index, the generic choice when values do not fit. */
class ProposalsTest {

    private static final ColumnType TEXT = new ColumnType("text", Category.TEXT, false, -1);

    private static ColumnProfile profile(ColumnType type, String... values) {
        ColumnProfile p = new ColumnProfile(type);
        for (String v : values) {
            p.add(v);
        }
        return p;
    }

    private static Optional<Proposal> propose(PiiKind kind, ColumnType type, boolean unique, ColumnProfile p) {
        return Proposals.propose(kind, type, unique, p, new ArrayList<>());
    }

    @Test
    void uniqueColumnsGetTheCollisionFreeVariant() {
        ColumnProfile emails = profile(TEXT, "a@example.com", "b@example.org");
        assertThat(propose(PiiKind.EMAIL, TEXT, false, emails)).hasValue(new Proposal("email", Map.of()));
        assertThat(propose(PiiKind.EMAIL, TEXT, true, emails)).hasValue(new Proposal("email_fpe", Map.of()));
        ColumnProfile cards = profile(TEXT, "4111 1111 1111 1111");
        assertThat(propose(PiiKind.CARD, TEXT, true, cards)).hasValue(new Proposal("credit_card_fpe", Map.of()));
        // No name transformer keeps values distinct.
        assertThat(propose(PiiKind.FIRST_NAME, TEXT, true, profile(TEXT, "Ada")))
                .hasValue(new Proposal("string_fpe", Map.of()));
        ColumnType bigint = new ColumnType("bigint", Category.INTEGER, false, -1);
        assertThat(propose(PiiKind.PHONE, bigint, true, profile(bigint, "15551234567")))
                .hasValue(new Proposal("integer_fpe", Map.of()));
    }

    @Test
    void valuesATransformerWouldRefuseGetTheGenericChoice() {
        List<String> notes = new ArrayList<>();
        ColumnProfile mixed = profile(TEXT, "4111 1111 1111 1111", "n/a");
        assertThat(Proposals.propose(PiiKind.CARD, TEXT, false, mixed, notes)).hasValue(new Proposal("text", Map.of()));
        assertThat(notes)
                .containsExactly("a sampled value is no card number of 12 to 19 digits, which credit_card"
                        + " refuses, so text instead");
        // An invalid address would stop email_fpe; email draws a new one and does not collide in practice.
        assertThat(propose(PiiKind.EMAIL, TEXT, true, profile(TEXT, "a@example.com", "unknown")))
                .hasValue(new Proposal("email", Map.of()));
        ColumnType dob = new ColumnType("text", Category.TEXT, false, -1);
        assertThat(propose(PiiKind.BIRTH_DATE, dob, false, profile(dob, "1970-01-01", "sometime in May")))
                .hasValue(new Proposal("text", Map.of()));
    }

    @Test
    void typesDecideAndHashesFitTheColumn() {
        ColumnType short16 = new ColumnType("character varying(32)", Category.TEXT, false, 32);
        assertThat(propose(PiiKind.SECRET, short16, true, profile(short16, "tok")))
                .hasValue(new Proposal("hash", Map.of("length", 32)));
        ColumnType tiny = new ColumnType("character varying(8)", Category.TEXT, false, 8);
        assertThat(propose(PiiKind.SECRET, tiny, true, profile(tiny, "tok")))
                .as("8 hex digits would collide")
                .hasValue(new Proposal("string_fpe", Map.of()));
        ColumnType array = new ColumnType("text[]", Category.TEXT, true, -1);
        assertThat(propose(PiiKind.SECRET, array, false, profile(array, "{a,b}")))
                .as("hash sees the whole value, so not an array")
                .hasValue(new Proposal("text", Map.of()));
        ColumnType date = new ColumnType("date", Category.DATE, false, -1);
        assertThat(propose(PiiKind.BIRTH_DATE, date, false, profile(date)))
                .hasValue(new Proposal("date_shift", Map.of("min_days", 1, "max_days", 365)));
        ColumnType bool = new ColumnType("boolean", Category.BOOLEAN, false, -1);
        assertThat(propose(PiiKind.EMAIL, bool, false, profile(bool))).isEmpty();
    }
}
