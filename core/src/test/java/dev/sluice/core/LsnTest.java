package dev.sluice.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesAndFormatsPostgresSpelling() {
        Lsn lsn = Lsn.parse("16/B374D848");
        assertThat(lsn.value()).isEqualTo(0x16_B374D848L);
        assertThat(lsn).hasToString("16/B374D848");
        assertThat(Lsn.parse("0/0")).isEqualTo(Lsn.INVALID);
    }

    @Test
    void ordersUnsignedPastTheSignBit() {
        Lsn high = Lsn.parse("FFFFFFFF/0");
        Lsn low = Lsn.parse("1/0");
        assertThat(high.isAfter(low)).isTrue();
        assertThat(high.bytesSince(low)).isEqualTo(0xFFFFFFFE_00000000L);
        assertThat(low.bytesSince(high)).isZero();
        assertThat(Lsn.max(low, high)).isEqualTo(high);
    }

    @Test
    void rejectsMalformedTextNamingIt() {
        assertThatThrownBy(() -> Lsn.parse("16B374D848")).hasMessageContaining("'16B374D848'");
        assertThatThrownBy(() -> Lsn.parse("1/zz")).hasMessageContaining("'1/zz'");
        assertThatThrownBy(() -> Lsn.parse("1FFFFFFFF/0")).hasMessageContaining("32 bits");
    }
}
