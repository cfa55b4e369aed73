package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.transform.TransformException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What counts as an IPv4 address and as an email domain, checked character by character. */
class AddressSyntaxTest {

    @ParameterizedTest
    @ValueSource(strings = {"10.1.2.3", "0.0.0.0", "255.255.255.255", "001.02.3.4"})
    void fourDottedOctetsAreAnIpv4Address(String address) {
        assertThat(NetworkTransformers.parse4(address)).hasSize(32);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", ".1.2.3", "256.1.1.1", "1.2.3.a", "1234.1.1.1"})
    void anythingElseIsRefusedAsAnIpv4Address(String address) {
        assertThatThrownBy(() -> NetworkTransformers.parse4(address))
                .isInstanceOf(TransformException.class)
                .hasMessageContaining("not an IP address");
    }

    @ParameterizedTest
    @ValueSource(strings = {"example.com", "a-b.example.co", "x.y", "123.example.org"})
    void labelsOfLettersDigitsAndInnerHyphensMakeADomain(String domain) {
        assertThat(Emails.validDomain(domain)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "example",
                ".com",
                "example.",
                "-a.com",
                "a-.com",
                "a..com",
                "ex_ample.com",
                "exämple.com",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com"
            })
    void emptyLongOrOddLabelsDoNot(String domain) {
        assertThat(Emails.validDomain(domain)).isFalse();
    }

    @org.junit.jupiter.api.Test
    void aDomainIsAtMost253Characters() {
        String label = "a".repeat(60);
        String fourLabels = String.join(".", label, label, label, label);

        assertThat(Emails.validDomain(fourLabels + "." + "b".repeat(9)))
                .as("253 characters")
                .isTrue();
        assertThat(Emails.validDomain(fourLabels + "." + "b".repeat(10)))
                .as("254 characters")
                .isFalse();
    }
}
