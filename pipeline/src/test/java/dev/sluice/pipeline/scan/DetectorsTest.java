package dev.sluice.pipeline.scan;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The validators that tell personal data from look-alikes. */
class DetectorsTest {

    @Test
    void luhnAcceptsTestCardNumbersAndRejectsAChangedDigit() {
        assertThat(Detectors.luhnValid("4111111111111111")).isTrue();
        assertThat(Detectors.luhnValid("5500 0000 0000 0004")).isTrue();
        assertThat(Detectors.luhnValid("378282246310005")).isTrue();
        assertThat(Detectors.luhnValid("79927398713")).isTrue();
        assertThat(Detectors.luhnValid("4111111111111112")).isFalse();
        assertThat(Detectors.luhnValid("79927398710")).isFalse();
        assertThat(Detectors.luhnValid("")).isFalse();
    }

    @Test
    void cardNumbersNeedLengthNetworkPrefixAndLuhn() {
        assertThat(Detectors.isCardNumber("4111111111111111")).isTrue();
        assertThat(Detectors.isCardNumber("4111-1111-1111-1111")).isTrue();
        assertThat(Detectors.isCardNumber("4111 1111 1111 1111")).isTrue();
        assertThat(Detectors.isCardNumber("4111111111111112"))
                .as("bad check digit")
                .isFalse();
        assertThat(Detectors.isCardNumber("411111111111")).as("12 digits").isFalse();
        // Luhn-valid, but no network starts with 9 or 1.
        assertThat(Detectors.isCardNumber("9111111111111115")).isFalse();
        assertThat(Detectors.isCardNumber("card 4111111111111111")).isFalse();
        assertThat(Detectors.containsCardNumber("paid with 4111 1111 1111 1111, thanks"))
                .isTrue();
        assertThat(Detectors.containsCardNumber("order 4111111111111112 shipped"))
                .isFalse();
    }

    @Test
    void aboutOneRandomNumberInTenPassesLuhnSoAColumnOfThemIsNoCardColumn() {
        Random random = new Random(7);
        int valid = 0;
        for (int i = 0; i < 10_000; i++) {
            StringBuilder b = new StringBuilder();
            for (int d = 0; d < 16; d++) {
                b.append(random.nextInt(10));
            }
            if (Detectors.luhnValid(b)) {
                valid++;
            }
        }
        assertThat(valid).isBetween(800, 1200);
    }

    @Test
    void ssnRulesExcludeNumbersNeverIssued() {
        assertThat(Detectors.isSsn("123-45-6789", false)).isTrue();
        assertThat(Detectors.isSsn("000-45-6789", false)).as("area 000").isFalse();
        assertThat(Detectors.isSsn("666-45-6789", false)).as("area 666").isFalse();
        assertThat(Detectors.isSsn("900-45-6789", false)).as("area 900-999").isFalse();
        assertThat(Detectors.isSsn("123-00-6789", false)).as("group 00").isFalse();
        assertThat(Detectors.isSsn("123-45-0000", false)).as("serial 0000").isFalse();
        assertThat(Detectors.isSsn("123456789", false))
                .as("bare digits need the column's name")
                .isFalse();
        assertThat(Detectors.isSsn("123456789", true)).isTrue();
        assertThat(Detectors.isSsn("123-456-789", false)).isFalse();
        assertThat(Detectors.containsSsn("SSN 078-05-1120 on file")).isTrue();
        assertThat(Detectors.containsSsn("call 555-123-4567")).isFalse();
    }

    @Test
    void ibanChecksumIsMod97() {
        assertThat(Detectors.isIban("GB82 WEST 1234 5698 7654 32")).isTrue();
        assertThat(Detectors.isIban("GB82WEST12345698765432")).isTrue();
        assertThat(Detectors.isIban("DE89370400440532013000")).isTrue();
        assertThat(Detectors.isIban("FR1420041010050500013M02606")).isTrue();
        assertThat(Detectors.ibanMod97("GB82WEST12345698765432")).isEqualTo(1);
        assertThat(Detectors.isIban("GB83WEST12345698765432"))
                .as("check digits off by one")
                .isFalse();
        assertThat(Detectors.isIban("DE89370400440532013001")).isFalse();
        assertThat(Detectors.isIban("GB82")).isFalse();
        assertThat(Detectors.containsIban("wire to DE89370400440532013000 today"))
                .isTrue();
    }

    @Test
    void emailRegexAcceptsAddressesAndRejectsNearMisses() {
        assertThat(Detectors.isEmail("ada@example.com")).isTrue();
        assertThat(Detectors.isEmail("ada.lovelace+shop@mail.example.co.uk")).isTrue();
        assertThat(Detectors.isEmail("o'brien@example.ie")).isTrue();
        assertThat(Detectors.isEmail(" ada@example.com ")).isTrue();
        assertThat(Detectors.isEmail("ada@localhost"))
                .as("no dot in the domain")
                .isFalse();
        assertThat(Detectors.isEmail("ada@@example.com")).isFalse();
        assertThat(Detectors.isEmail(".ada@example.com")).isFalse();
        assertThat(Detectors.isEmail("ada..l@example.com")).isFalse();
        assertThat(Detectors.isEmail("ada@example.c")).as("one-letter TLD").isFalse();
        assertThat(Detectors.isEmail("ada lovelace@example.com")).isFalse();
        assertThat(Detectors.isEmail("@example.com")).isFalse();
        assertThat(Detectors.containsEmail("write to ada@example.com for details"))
                .isTrue();
        assertThat(Detectors.containsEmail("no address here @ all")).isFalse();
    }

    @Test
    void phonesNeedAPhoneShapeAndDatesOrDecimalsAreNone() {
        assertThat(Detectors.isPhone("+1-555-123-4567", false)).isTrue();
        assertThat(Detectors.isPhone("(555) 123-4567", false)).isTrue();
        assertThat(Detectors.isPhone("+44 20 7946 0958", false)).isTrue();
        assertThat(Detectors.isPhone("555.123.4567 ext. 12", false)).isTrue();
        assertThat(Detectors.isPhone("5551234567", false))
                .as("bare digits need the column's name")
                .isFalse();
        assertThat(Detectors.isPhone("5551234567", true)).isTrue();
        assertThat(Detectors.isPhone("2024-05-01", false)).isFalse();
        assertThat(Detectors.isPhone("12345.678", false)).isFalse();
        assertThat(Detectors.isPhone("10.0.0.1", false)).isFalse();
        assertThat(Detectors.isPhone("123-45-6789", false)).as("an SSN").isFalse();
        assertThat(Detectors.isPhone("12-34", false)).as("too few digits").isFalse();
        assertThat(Detectors.containsPhone("call me at +1 555 123 4567 tomorrow"))
                .isTrue();
        assertThat(Detectors.containsPhone("order 2024-05-01 #12345")).isFalse();
    }

    @Test
    void ipAddressesOfBothFamilies() {
        assertThat(Detectors.isIp("192.168.1.20")).isTrue();
        assertThat(Detectors.isIp("10.0.0.0/8")).isTrue();
        assertThat(Detectors.isIp("256.1.1.1")).isFalse();
        assertThat(Detectors.isIp("01.2.3.4")).as("leading zero").isFalse();
        assertThat(Detectors.isIp("1.2.3")).isFalse();
        assertThat(Detectors.isIp("2001:db8::1")).isTrue();
        assertThat(Detectors.isIp("2001:0db8:0000:0000:0000:ff00:0042:8329")).isTrue();
        assertThat(Detectors.isIp("::1")).isTrue();
        assertThat(Detectors.isIp("::ffff:192.0.2.128")).isTrue();
        assertThat(Detectors.isIp("fe80::1%eth0")).isTrue();
        assertThat(Detectors.isIp("2001:db8::/32")).isTrue();
        assertThat(Detectors.isIp("2001:db8::1::2")).as("two ::").isFalse();
        assertThat(Detectors.isIp("12:30:00")).as("a time").isFalse();
        assertThat(Detectors.isIp("2001:db8:0:0:0:0:0:0:1")).as("nine groups").isFalse();
        assertThat(Detectors.isIp("gggg::1")).isFalse();
    }

    @Test
    void namesFromTheDictionaryWithAccentsIgnored() {
        NameDictionary names = NameDictionary.get();
        assertThat(names.classify("Margaret")).isEqualTo(NameDictionary.NameShape.FIRST);
        assertThat(names.classify("Zoe")).isEqualTo(NameDictionary.NameShape.FIRST);
        assertThat(names.classify("Łukasz")).isEqualTo(NameDictionary.NameShape.FIRST);
        assertThat(names.classify("Hopper")).isEqualTo(NameDictionary.NameShape.LAST);
        assertThat(names.classify("Grace Hopper")).isEqualTo(NameDictionary.NameShape.FULL);
        assertThat(names.classify("Zorblax Hopper")).isEqualTo(NameDictionary.NameShape.FULL);
        assertThat(names.classify("Blue Widget")).isEqualTo(NameDictionary.NameShape.NONE);
        assertThat(names.classify("ken123")).isEqualTo(NameDictionary.NameShape.NONE);
        assertThat(names.classify("grace hopper rocks the house")).isEqualTo(NameDictionary.NameShape.NONE);
    }

    @Test
    void columnNamesAreNormalizedAndDescriptiveSuffixesIgnored() {
        assertThat(ColumnNames.normalize("firstName")).isEqualTo("first_name");
        assertThat(ColumnNames.normalize("EMAIL-Address")).isEqualTo("email_address");
        assertThat(ColumnNames.match("email_address").orElseThrow().kind()).isEqualTo(PiiKind.EMAIL);
        assertThat(ColumnNames.match("contactEmail").orElseThrow().kind()).isEqualTo(PiiKind.EMAIL);
        assertThat(ColumnNames.match("mailing_address").orElseThrow().kind()).isEqualTo(PiiKind.ADDRESS);
        assertThat(ColumnNames.match("email_verified")).isEmpty();
        assertThat(ColumnNames.match("phone_type")).isEmpty();
        assertThat(ColumnNames.match("password_hash").orElseThrow().kind()).isEqualTo(PiiKind.SECRET);
        assertThat(ColumnNames.match("date_of_birth").orElseThrow().kind()).isEqualTo(PiiKind.BIRTH_DATE);
        assertThat(ColumnNames.match("last_login_ip").orElseThrow().kind()).isEqualTo(PiiKind.IP);
        assertThat(ColumnNames.match("name").orElseThrow().strength()).isEqualTo(ColumnNames.Strength.WEAK);
        assertThat(ColumnNames.match("description")).isEmpty();
        assertThat(ColumnNames.match("shipped")).isEmpty();
        assertThat(ColumnNames.personTable("customers")).isTrue();
        assertThat(ColumnNames.personTable("products")).isFalse();
    }

    @Test
    void arrayLiteralsSplitIntoElements() {
        assertThat(ArrayLiteral.elements("{a,\"b c\",NULL,\"NULL\",\"x\\\"y\"}"))
                .containsExactly("a", "b c", null, "NULL", "x\"y");
        assertThat(ArrayLiteral.elements("{{1,2},{3,4}}")).containsExactly("1", "2", "3", "4");
        assertThat(ArrayLiteral.elements("[0:1]={a,b}")).containsExactly("a", "b");
        assertThat(ArrayLiteral.elements("{}")).isEmpty();
    }
}
