package dev.sluice.transform.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sluice.core.SluiceException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AesSivTest {

    private static final HexFormat HEX = HexFormat.of();

    @Test
    void matchesRfc5297DeterministicExample() {
        AesSiv siv = new AesSiv(
                HEX.parseHex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"),
                HEX.parseHex("101112131415161718191a1b1c1d1e1f2021222324252627"),
                false);
        byte[] token = siv.encrypt(HEX.parseHex("112233445566778899aabbccddee"));
        assertThat(HEX.formatHex(token)).isEqualTo("85632d07c6e8f37f950acd320a2ecc9340c02b9690c4dc04daef7f6afe5c");
        assertThat(HEX.formatHex(siv.decrypt(token))).isEqualTo("112233445566778899aabbccddee");
    }

    @Test
    void matchesPgstreamTokensUnderTheSameKey() {
        byte[] key = new byte[64];
        for (int i = 0; i < 64; i++) {
            key[i] = (byte) i;
        }
        assertThat(token(new AesSiv(key, new byte[0], false), "hello world"))
                .isEqualTo("Hc5d96xIxu2ute1RbFuenEftGxw-P__m1Vv_");
        assertThat(token(
                        new AesSiv(key, "public.orders.file_path".getBytes(StandardCharsets.UTF_8), false),
                        "hello world"))
                .isEqualTo("AsC2hoq-Y9V0iqK6JmNIxq0Fsr3SFPo27QNq");
    }

    private static String token(AesSiv siv, String value) {
        return siv.apply(value);
    }

    @Test
    void tokensDecryptAndForgeriesFail() {
        AesSiv siv = new AesSiv(new byte[64], new byte[0], false);
        byte[] token = Base64.getUrlDecoder().decode(siv.apply("a longer value than one AES block"));
        assertThat(new String(siv.decrypt(token), StandardCharsets.UTF_8))
                .isEqualTo("a longer value than one AES block");
        token[20] ^= 1;
        assertThat(siv.decrypt(token)).isNull();
    }

    @Test
    void withoutKeyHexTheKeyComesFromTheDomain() {
        Transformer t = Fixtures.build("encrypted_aes_siv", Map.of());
        assertThat(t.uniqueness()).isEqualTo(Uniqueness.GUARANTEED);
        assertThat(t.apply("x"))
                .isEqualTo(Fixtures.build("encrypted_aes_siv", Map.of()).apply("x"));
        assertThat(t.apply("x"))
                .isNotEqualTo(Fixtures.build("encrypted_aes_siv", null, Map.of(), Fixtures.OTHER_KEY)
                        .apply("x"));
    }

    @Test
    void aPgstreamFileWithKeyHexLoadsAndGivesPgstreamsTokens() {
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < 64; i++) {
            hex.append(String.format("%02x", i));
        }
        Transformer t = Fixtures.build("encrypted_aes_siv", Map.of("key_hex", hex.toString()));
        assertThat(t.apply("hello world")).isEqualTo("Hc5d96xIxu2ute1RbFuenEftGxw-P__m1Vv_");
        assertThat(t.apply("hello world"))
                .as("the file's key, whatever the master key")
                .isEqualTo(
                        Fixtures.build("encrypted_aes_siv", null, Map.of("key_hex", hex.toString()), Fixtures.OTHER_KEY)
                                .apply("hello world"));
    }

    @Test
    void aMalformedKeyHexIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> Fixtures.build("encrypted_aes_siv", Map.of("key_hex", "zz".repeat(32))))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("key_hex")
                .hasMessageNotContaining("zzzz");
        assertThatThrownBy(() -> Fixtures.build("encrypted_aes_siv", Map.of("key_hex", "ab".repeat(10))))
                .isInstanceOf(SluiceException.class)
                .hasMessageContaining("10 bytes")
                .hasMessageNotContaining("abab");
    }

    @Test
    void byteaValuesAreEncryptedAsBytesAndWrittenAsTheTokensAsciiBytes() {
        Transformer t = Fixtures.build("encrypted_aes_siv", "bytea", Map.of());
        String out = t.apply("\\x68656c6c6f");
        assertThat(out).startsWith("\\x");
        String token = new String(HEX.parseHex(out.substring(2)), StandardCharsets.US_ASCII);
        assertThat(token)
                .isEqualTo(Fixtures.build("encrypted_aes_siv", Map.of()).apply("hello"));
    }
}
