package dev.sluice.transform.builtin;

import static dev.sluice.transform.builtin.Factory.transformer;

import dev.sluice.transform.DomainKey;
import dev.sluice.transform.Parameters;
import dev.sluice.transform.TransformException;
import dev.sluice.transform.Transformer;
import dev.sluice.transform.Transformer.Uniqueness;
import dev.sluice.transform.TransformerContext;
import dev.sluice.transform.TransformerFactory;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Dates and timestamps in PostgreSQL's ISO text form ({@code 2024-03-05}, {@code 2024-03-05
 * 12:34:56.789}, {@code 2024-03-05 12:34:56+01}); {@code infinity} and {@code -infinity} pass
 * unchanged. BC dates are refused.
 */
final class DateTransformers {

    private DateTransformers() {}

    static List<TransformerFactory> factories() {
        return List.of(
                Factory.elementwise("date_shift", c -> shift(c, "date_shift")),
                Factory.elementwise("timestamp_shift", c -> shift(c, "timestamp_shift")),
                Factory.elementwise("greenmask_date", DateTransformers::greenmaskDate),
                Factory.elementwise("greenmask_utc_timestamp", DateTransformers::utcTimestamp));
    }

    /** A parsed date or timestamp: the local date-time, whether it had a time, and what followed. */
    record Parsed(LocalDateTime at, boolean hasTime, char separator, String fraction, String zone) {

        String format(LocalDateTime t) {
            StringBuilder b = new StringBuilder(32);
            date(b, t.toLocalDate());
            if (hasTime) {
                b.append(separator);
                two(b, t.getHour()).append(':');
                two(b, t.getMinute()).append(':');
                two(b, t.getSecond()).append(fraction).append(zone);
            }
            return b.toString();
        }
    }

    private static StringBuilder two(StringBuilder b, int v) {
        return b.append((char) ('0' + v / 10)).append((char) ('0' + v % 10));
    }

    /** PostgreSQL's ISO date: at least four year digits, no sign. */
    static String date(LocalDate d) {
        return date(new StringBuilder(10), d).toString();
    }

    private static StringBuilder date(StringBuilder b, LocalDate d) {
        int year = d.getYear();
        if (year < 1) {
            throw new TransformException("the result would be a BC date");
        }
        for (int p = 1000; p > 1 && year < p; p /= 10) {
            b.append('0');
        }
        b.append(year).append('-');
        two(b, d.getMonthValue()).append('-');
        return two(b, d.getDayOfMonth());
    }

    private static TransformException notDate() {
        return new TransformException("not a date or timestamp in ISO form (yyyy-mm-dd[ hh:mm:ss[.ffffff][+zz]])");
    }

    /** The value parsed, or null for {@code infinity} and {@code -infinity}. */
    static Parsed parse(String v) {
        if (v.equals("infinity") || v.equals("-infinity")) {
            return null;
        }
        if (v.endsWith(" BC")) {
            throw new TransformException("BC dates are not supported");
        }
        int n = v.length();
        int i = 0;
        while (i < n && isDigit(v.charAt(i))) {
            i++;
        }
        if (i < 4 || i > 9 || n < i + 6 || v.charAt(i) != '-' || v.charAt(i + 3) != '-') {
            throw notDate();
        }
        int year = Integer.parseInt(v, 0, i, 10);
        int month = number(v, i + 1);
        int day = number(v, i + 4);
        i += 6;
        boolean hasTime = i < n;
        int hour = 0;
        int minute = 0;
        int second = 0;
        char separator = ' ';
        String fraction = "";
        String zone = "";
        if (hasTime) {
            separator = v.charAt(i);
            if ((separator != ' ' && separator != 'T')
                    || n < i + 9
                    || v.charAt(i + 3) != ':'
                    || v.charAt(i + 6) != ':') {
                throw notDate();
            }
            hour = number(v, i + 1);
            minute = number(v, i + 4);
            second = number(v, i + 7);
            i += 9;
            if (i < n && v.charAt(i) == '.') {
                int start = i++;
                while (i < n && isDigit(v.charAt(i))) {
                    i++;
                }
                if (i - start < 2 || i - start > 10) {
                    throw notDate();
                }
                fraction = v.substring(start, i);
            }
            zone = v.substring(i);
            if (!validZone(zone)) {
                throw notDate();
            }
        }
        try {
            return new Parsed(
                    LocalDateTime.of(year, month, day, hour, minute, second), hasTime, separator, fraction, zone);
        } catch (DateTimeException e) {
            throw new TransformException("not a valid date");
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static int number(String v, int at) {
        char a = v.charAt(at);
        char b = v.charAt(at + 1);
        if (!isDigit(a) || !isDigit(b)) {
            throw notDate();
        }
        return (a - '0') * 10 + (b - '0');
    }

    /** Empty, {@code Z}, or {@code +hh}, {@code +hh:mm}, {@code +hh:mm:ss} (colons optional). */
    private static boolean validZone(String z) {
        if (z.isEmpty() || z.equals("Z")) {
            return true;
        }
        if (z.charAt(0) != '+' && z.charAt(0) != '-') {
            return false;
        }
        int digits = 0;
        int colons = 0;
        for (int i = 1; i < z.length(); i++) {
            char c = z.charAt(i);
            if (c == ':') {
                colons++;
            } else if (isDigit(c)) {
                digits++;
            } else {
                return false;
            }
        }
        return (digits == 2 || digits == 4 || digits == 6) && colons <= 2;
    }

    /**
     * Moves a date or timestamp by a keyed number of days between {@code min_days} (default 1) and
     * {@code max_days} (default 30), forwards or backwards, and timestamps also by up to {@code
     * max_seconds} (default 0). With {@code shift_by: value} (the default) the move is drawn from
     * the value itself: the same instant always moves alike, but two dates of one person move
     * differently, since a transformer sees one column. With {@code shift_by: domain} every value of
     * the domain moves by the same amount: order and intervals survive, and so does uniqueness, but
     * one known pair reveals the shift. With {@code entity}, usually taken from the row's key
     * through {@code dynamic_parameters} ({@code entity: {column: customer_id}}), the move is drawn
     * from the entity: every date of one customer, in every column and table of the domain, moves
     * by the same amount, so the intervals between them survive.
     */
    static Transformer shift(TransformerContext c, String name) {
        ColumnTypes.require(c, name, ColumnTypes.DATES);
        Parameters p = c.parameters();
        long minDays = p.integer("min_days", 1, 0, 3_650_000);
        long maxDays = p.integer("max_days", 30, 0, 3_650_000);
        long maxSeconds = p.integer("max_seconds", 0, 0, 86_400L * 3_650_000);
        boolean byDomain =
                p.choice("shift_by", "value", List.of("value", "domain")).equals("domain");
        String entity = p.string("entity").orElse(null);
        if (entity != null && byDomain) {
            throw p.invalid("entity", entity, "no entity with shift_by: domain, which moves every value alike");
        }
        if (maxDays < minDays) {
            throw p.invalid("max_days", maxDays, "at least min_days (" + minDays + ")");
        }
        if (maxDays == 0 && maxSeconds == 0) {
            throw p.invalid("max_days", maxDays, "a shift: max_days or max_seconds above 0");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        String drawnFrom = byDomain ? "" : entity == null ? null : "entity:" + entity;
        return transformer(byDomain ? Uniqueness.GUARANTEED : Uniqueness.NONE, value -> {
            Parsed parsed = parse(value);
            if (parsed == null) {
                return value;
            }
            KeyedRandom r = KeyedRandom.of(key, "date_shift", drawnFrom != null ? drawnFrom : value);
            long days = r.between(minDays, maxDays);
            if (r.nextBoolean()) {
                days = -days;
            }
            long seconds = maxSeconds == 0 ? 0 : r.between(-maxSeconds, maxSeconds);
            LocalDateTime t = parsed.at().plusDays(days);
            if (parsed.hasTime()) {
                t = t.plusSeconds(seconds);
            }
            return parsed.format(t);
        });
    }

    /** greenmask_date: a keyed date between {@code min_value} and {@code max_value} (yyyy-MM-dd). */
    static Transformer greenmaskDate(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_date", ColumnTypes.DATES);
        Parameters p = c.parameters();
        Compat.generator(p);
        LocalDate min = dateParameter(p, "min_value");
        LocalDate max = dateParameter(p, "max_value");
        if (max.isBefore(min)) {
            throw p.invalid("max_value", max.toString(), "a date not before min_value (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        long span = ChronoUnit.DAYS.between(min, max);
        return transformer(Uniqueness.NONE, value -> {
            if (parse(value) == null) {
                return value;
            }
            return date(
                    min.plusDays(KeyedRandom.of(key, "greenmask_date", value).between(0, span)));
        });
    }

    private static LocalDate dateParameter(Parameters p, String name) {
        String s = p.requiredString(name).strip();
        try {
            return LocalDate.parse(s);
        } catch (DateTimeException e) {
            throw p.invalid(name, s, "a date as yyyy-MM-dd");
        }
    }

    /**
     * greenmask_utc_timestamp: a keyed instant between {@code min_timestamp} and {@code
     * max_timestamp} (RFC 3339), truncated to {@code truncate_part}, written in UTC with {@code +00}.
     */
    static Transformer utcTimestamp(TransformerContext c) {
        ColumnTypes.require(c, "greenmask_utc_timestamp", ColumnTypes.DATES);
        Parameters p = c.parameters();
        Compat.generator(p);
        Instant min = instantParameter(p, "min_timestamp");
        Instant max = instantParameter(p, "max_timestamp");
        String truncate = p.choice(
                "truncate_part",
                "",
                List.of(
                        "",
                        "year",
                        "month",
                        "day",
                        "hour",
                        "minute",
                        "second",
                        "millisecond",
                        "microsecond",
                        "nanosecond"));
        if (max.isBefore(min)) {
            throw p.invalid("max_timestamp", max.toString(), "an instant not before min_timestamp (" + min + ")");
        }
        p.requireAllUsed();
        DomainKey key = c.key();
        long spanMicros = ChronoUnit.MICROS.between(min, max);
        return transformer(Uniqueness.NONE, value -> {
            if (parse(value) == null) {
                return value;
            }
            long micros = KeyedRandom.of(key, "greenmask_utc_timestamp", value).between(0, spanMicros);
            OffsetDateTime t = truncate(min.plus(micros, ChronoUnit.MICROS).atOffset(ZoneOffset.UTC), truncate);
            String s =
                    date(t.toLocalDate()) + String.format(" %02d:%02d:%02d", t.getHour(), t.getMinute(), t.getSecond());
            if (t.getNano() != 0) {
                s += String.format(".%06d", t.getNano() / 1000).replaceAll("0+$", "");
            }
            return s + "+00";
        });
    }

    private static OffsetDateTime truncate(OffsetDateTime t, String part) {
        return switch (part) {
            case "year" -> t.truncatedTo(ChronoUnit.DAYS).withDayOfYear(1);
            case "month" -> t.truncatedTo(ChronoUnit.DAYS).withDayOfMonth(1);
            case "day" -> t.truncatedTo(ChronoUnit.DAYS);
            case "hour" -> t.truncatedTo(ChronoUnit.HOURS);
            case "minute" -> t.truncatedTo(ChronoUnit.MINUTES);
            case "second" -> t.truncatedTo(ChronoUnit.SECONDS);
            case "millisecond" -> t.truncatedTo(ChronoUnit.MILLIS);
            default -> t;
        };
    }

    private static Instant instantParameter(Parameters p, String name) {
        String s = p.requiredString(name).strip();
        try {
            return OffsetDateTime.parse(s).toInstant();
        } catch (DateTimeException e) {
            throw p.invalid(name, s, "an RFC 3339 timestamp such as 2020-01-01T00:00:00Z");
        }
    }
}
