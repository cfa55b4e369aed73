package dev.sluice.transform.builtin;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicReferenceArray;

/** IP addresses and UUIDs. */
final class NetworkTransformers {

    private NetworkTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("ip", NetworkTransformers::ip),
                Factory.elementwise("uuid", c -> uuid(c, "uuid")),
                Factory.elementwise("greenmask_uuid", c -> uuid(c, "greenmask_uuid")),
                Factory.elementwise("uuid_fpe", NetworkTransformers::uuidFpe));
    }

    /**
     * IPv4 and IPv6 addresses ({@code inet}, {@code cidr} or text), encrypted bit by bit with FF1
     * after the first {@code ipv4_prefix} / {@code ipv6_prefix} bits (default 0), which stay: keep
     * 24 to keep the /24 subnet. A netmask suffix stays; on a {@code cidr} column only the network
     * bits change, so the host bits stay zero. A bijection per family and mask.
     */
    static Transformer ip(TransformerContext c) {
        ColumnTypes.require(c, "ip", ColumnTypes.Kind.INET, ColumnTypes.Kind.TEXT);
        Parameters p = c.parameters();
        int keep4 = (int) p.integer("ipv4_prefix", 0, 0, 32);
        int keep6 = (int) p.integer("ipv6_prefix", 0, 0, 128);
        p.requireAllUsed();
        boolean cidr = c.type() != null && c.type().strip().equalsIgnoreCase("cidr");
        Fpe fpe = Fpe.of(c.key(), "ip");
        Ipv4 v4 = new Ipv4(fpe, keep4);
        return new Transformer() {
            @Override
            public String apply(String value) {
                return value.indexOf('/') < 0 && value.indexOf(':') < 0
                        ? v4.crypt(value, true)
                        : crypt(fpe, value, keep4, keep6, cidr, true);
            }

            @Override
            public Uniqueness uniqueness() {
                return Uniqueness.GUARANTEED;
            }
        };
    }

    static String crypt(Fpe fpe, String value, int keep4, int keep6, boolean cidr, boolean encrypt) {
        int slash = value.indexOf('/');
        String address = slash < 0 ? value : value.substring(0, slash);
        boolean v6 = address.indexOf(':') >= 0;
        byte[] bits = v6 ? parse6(address) : parse4(address);
        int total = bits.length;
        int mask = total;
        if (slash >= 0) {
            try {
                mask = Integer.parseInt(value.substring(slash + 1));
            } catch (NumberFormatException e) {
                throw notIp();
            }
            if (mask < 0 || mask > total || value.length() - slash - 1 > 3 || value.charAt(slash + 1) == '+') {
                throw notIp();
            }
        }
        int from = Math.min(v6 ? keep6 : keep4, total);
        int to = cidr ? Math.max(mask, from) : total;
        if (to > from) {
            byte[] middle = new byte[to - from];
            System.arraycopy(bits, from, middle, 0, middle.length);
            StringBuilder tweak = tweak(v6, from, to);
            for (int i = 0; i < from; i++) {
                tweak.append(bits[i]);
            }
            byte[] out =
                    encrypt ? fpe.encryptBits(middle, tweak.toString()) : fpe.decryptBits(middle, tweak.toString());
            System.arraycopy(out, 0, bits, from, out.length);
        }
        String text = v6 ? format6(bits) : format4(bits);
        return slash < 0 ? text : text + value.substring(slash);
    }

    /** The start of the tweak of an address's bits {@code [from, to)}; the kept prefix's bits follow. */
    private static StringBuilder tweak(boolean v6, int from, int to) {
        return new StringBuilder(v6 ? "v6|" : "v4|")
                .append(from)
                .append('|')
                .append(to)
                .append('|');
    }

    /**
     * IPv4 addresses without a mask, in {@code int} arithmetic: the permutation {@link #crypt}
     * makes of the same address through its array of bits (the same tweak, named by the kept
     * prefix's bits), with the range of each prefix kept when there are at most 2^16 of them.
     */
    static final class Ipv4 {
        private final Fpe fpe;
        private final int keep;
        private final AtomicReferenceArray<Fpe.Range> ranges;

        Ipv4(Fpe fpe, int keep) {
            this.fpe = fpe;
            this.keep = keep;
            this.ranges = keep <= 16 ? new AtomicReferenceArray<>(1 << keep) : null;
        }

        String crypt(String address, boolean encrypt) {
            long ip = parse4Int(address) & 0xffffffffL;
            int k = 32 - keep;
            if (k == 0) {
                return format4(ip);
            }
            long prefix = ip >>> k;
            Fpe.Range range = ranges == null ? null : ranges.get((int) prefix);
            if (range == null) {
                StringBuilder tweak = tweak(false, keep, 32);
                for (int b = keep - 1; b >= 0; b--) {
                    tweak.append((prefix >>> b) & 1);
                }
                range = fpe.bitsRange(k, tweak.toString());
                if (ranges != null) {
                    ranges.set((int) prefix, range);
                }
            }
            long middle = ip & ((1L << k) - 1);
            long out = encrypt ? range.permute(middle) : range.unpermute(middle);
            return format4((prefix << k) | out);
        }
    }

    private static TransformException notIp() {
        return new TransformException("not an IP address (IPv4 or IPv6, optionally with /mask)");
    }

    static byte[] parse4(String s) {
        int ip = parse4Int(s);
        byte[] bits = new byte[32];
        for (int b = 0; b < 32; b++) {
            bits[b] = (byte) ((ip >>> (31 - b)) & 1);
        }
        return bits;
    }

    private static int parse4Int(String s) {
        // Walked in place rather than split: this runs for every address of a transformed column.
        int ip = 0;
        int part = 0;
        int start = 0;
        for (int end = 0; end <= s.length(); end++) {
            if (end < s.length() && s.charAt(end) != '.') {
                continue;
            }
            if (part == 4) {
                throw notIp();
            }
            ip = (ip << 8) | octet(s, start, end);
            part++;
            start = end + 1;
        }
        if (part != 4) {
            throw notIp();
        }
        return ip;
    }

    private static int octet(String s, int from, int to) {
        if (to == from || to - from > 3) {
            throw notIp();
        }
        int v = 0;
        for (int i = from; i < to; i++) {
            char ch = s.charAt(i);
            if (ch < '0' || ch > '9') {
                throw notIp();
            }
            v = v * 10 + (ch - '0');
        }
        if (v > 255) {
            throw notIp();
        }
        return v;
    }

    static byte[] parse6(String s) {
        int[] groups = new int[8];
        String head = s;
        String tail = "";
        int dc = s.indexOf("::");
        if (dc >= 0) {
            if (s.indexOf("::", dc + 1) >= 0) {
                throw notIp();
            }
            head = s.substring(0, dc);
            tail = s.substring(dc + 2);
        }
        int[] h = groups(head, dc < 0);
        int[] t = dc < 0 ? new int[0] : groups(tail, true);
        if (dc < 0 ? h.length != 8 : h.length + t.length > 7) {
            throw notIp();
        }
        System.arraycopy(h, 0, groups, 0, h.length);
        System.arraycopy(t, 0, groups, 8 - t.length, t.length);
        byte[] bits = new byte[128];
        for (int g = 0; g < 8; g++) {
            for (int b = 0; b < 16; b++) {
                bits[g * 16 + b] = (byte) ((groups[g] >>> (15 - b)) & 1);
            }
        }
        return bits;
    }

    /** Hex groups separated by colons; the last may be a dotted IPv4 address (two groups). */
    private static int[] groups(String s, boolean mayEndInIpv4) {
        if (s.isEmpty()) {
            return new int[0];
        }
        String[] parts = s.split(":", -1);
        int n = parts.length;
        boolean v4 = mayEndInIpv4 && parts[n - 1].indexOf('.') >= 0;
        int[] out = new int[v4 ? n + 1 : n];
        for (int i = 0; i < (v4 ? n - 1 : n); i++) {
            String p = parts[i];
            if (p.isEmpty() || p.length() > 4) {
                throw notIp();
            }
            try {
                out[i] = Integer.parseInt(p, 16);
            } catch (NumberFormatException e) {
                throw notIp();
            }
            if (p.charAt(0) == '+' || p.charAt(0) == '-') {
                throw notIp();
            }
        }
        if (v4) {
            byte[] bits = parse4(parts[n - 1]);
            int hi = 0;
            int lo = 0;
            for (int b = 0; b < 16; b++) {
                hi = (hi << 1) | bits[b];
                lo = (lo << 1) | bits[16 + b];
            }
            out[n - 1] = hi;
            out[n] = lo;
        }
        return out;
    }

    static String format4(byte[] bits) {
        long ip = 0;
        for (byte bit : bits) {
            ip = (ip << 1) | bit;
        }
        return format4(ip);
    }

    private static String format4(long ip) {
        StringBuilder b = new StringBuilder(15);
        for (int shift = 24; shift >= 0; shift -= 8) {
            b.append((ip >>> shift) & 0xff);
            if (shift > 0) {
                b.append('.');
            }
        }
        return b.toString();
    }

    /** RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as {@code ::}. */
    static String format6(byte[] bits) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            for (int k = 0; k < 16; k++) {
                g[i] = (g[i] << 1) | bits[i * 16 + k];
            }
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = j;
        }
        StringBuilder b = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLength - 1;
                continue;
            }
            if (b.length() > 0 && b.charAt(b.length() - 1) != ':') {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        return b.toString();
    }

    /**
     * A version-4-shaped UUID from the keyed hash of the value (122 keyed bits): practically
     * collision-free. A value that is a UUID is first written canonically, so a {@code uuid}
     * column and a text column holding the same UUIDs map alike.
     */
    static Transformer uuid(TransformerContext c, String name) {
        ColumnTypes.require(c, name, ColumnTypes.Kind.UUID, ColumnTypes.Kind.TEXT);
        Parameters p = c.parameters();
        if (name.startsWith("greenmask")) {
            Compat.generator(p);
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        return Factory.transformer(Uniqueness.PRACTICAL, value -> {
            byte[] canonical = parseUuid(value);
            byte[] mac = key.mac("uuid", canonical == null ? value : format(canonical));
            mac[6] = (byte) ((mac[6] & 0x0f) | 0x40);
            mac[8] = (byte) ((mac[8] & 0x3f) | 0x80);
            return format(mac);
        });
    }

    /**
     * {@code uuid_fpe}: a UUID encrypted under the domain key. Version-4 UUIDs map to version-4
     * UUIDs (FF1 over the 122 random bits), any other UUID (v1, v7, ...) to a UUID that is not
     * version 4 (AES over all 128 bits, cycle walking past the v4 ones): a bijection.
     */
    static Transformer uuidFpe(TransformerContext c) {
        ColumnTypes.require(c, "uuid_fpe", ColumnTypes.Kind.UUID, ColumnTypes.Kind.TEXT);
        c.parameters().requireAllUsed();
        Fpe fpe = Fpe.of(c.key(), "uuid");
        return new Transformer() {
            @Override
            public String apply(String value) {
                byte[] u = parseUuid(value);
                if (u == null) {
                    throw new TransformException("not a UUID");
                }
                return format(cryptUuid(fpe, u, true));
            }

            @Override
            public Uniqueness uniqueness() {
                return Uniqueness.GUARANTEED;
            }
        };
    }

    static byte[] cryptUuid(Fpe fpe, byte[] u, boolean encrypt) {
        byte[] bits = new byte[128];
        for (int i = 0; i < 128; i++) {
            bits[i] = (byte) ((u[i / 8] >>> (7 - i % 8)) & 1);
        }
        if (isV4(bits)) {
            byte[] free = new byte[122];
            int k = 0;
            for (int i = 0; i < 128; i++) {
                if (!fixedV4Bit(i)) {
                    free[k++] = bits[i];
                }
            }
            free = encrypt ? fpe.encryptBits(free, "v4") : fpe.decryptBits(free, "v4");
            k = 0;
            for (int i = 0; i < 128; i++) {
                if (!fixedV4Bit(i)) {
                    bits[i] = free[k++];
                }
            }
        } else {
            byte[] block = new byte[16];
            for (int i = 0; i < 128; i++) {
                block[i / 8] |= (byte) (bits[i] << (7 - i % 8));
            }
            do {
                block = fpe.block(encrypt, block);
                for (int i = 0; i < 128; i++) {
                    bits[i] = (byte) ((block[i / 8] >>> (7 - i % 8)) & 1);
                }
            } while (isV4(bits));
        }
        byte[] out = new byte[16];
        for (int i = 0; i < 128; i++) {
            out[i / 8] |= (byte) (bits[i] << (7 - i % 8));
        }
        return out;
    }

    /** Version nibble (bits 48-51) and variant (bits 64-65). */
    private static boolean fixedV4Bit(int i) {
        return (i >= 48 && i < 52) || i == 64 || i == 65;
    }

    private static boolean isV4(byte[] bits) {
        return bits[48] == 0 && bits[49] == 1 && bits[50] == 0 && bits[51] == 0 && bits[64] == 1 && bits[65] == 0;
    }

    /**
     * The 16 bytes of a UUID in any form PostgreSQL accepts (hyphens anywhere between groups of four
     * digits, braces, upper case), or null.
     */
    static byte[] parseUuid(String value) {
        String s = value.strip();
        if (s.startsWith("{") && s.endsWith("}")) {
            s = s.substring(1, s.length() - 1);
        }
        byte[] out = new byte[16];
        int nibbles = 0;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '-'
                    && nibbles % 4 == 0
                    && nibbles > 0
                    && nibbles < 32
                    && i + 1 < s.length()
                    && s.charAt(i + 1) != '-') {
                continue;
            }
            int d = Character.digit(ch, 16);
            if (d < 0 || nibbles == 32 || ch > 127) {
                return null;
            }
            out[nibbles / 2] |= (byte) (nibbles % 2 == 0 ? d << 4 : d);
            nibbles++;
        }
        return nibbles == 32 ? out : null;
    }

    static String format(byte[] u) {
        String hex = java.util.HexFormat.of().formatHex(u, 0, 16).toLowerCase(Locale.ROOT);
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20, 32);
    }
}
