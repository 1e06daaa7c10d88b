package io.pgcdc.nifi;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;

/**
 * The "Merge Task Schedule CRON" expression: Quartz syntax, UTC, 6 or 7 fields (seconds, minutes,
 * hours, day of month, month, day of week, [year]) with *, ?, lists, ranges, steps and month/day names.
 * The native library parses the same expression when the configuration is checked; this class only
 * answers "did it fire between two instants" for MergeJournalTables. Not supported (refused): L, W, #.
 * Immutable, thread-safe.
 */
final class QuartzCron {
    private static final Map<String, Integer> MONTHS = Map.ofEntries(Map.entry("JAN", 1), Map.entry("FEB", 2),
            Map.entry("MAR", 3), Map.entry("APR", 4), Map.entry("MAY", 5), Map.entry("JUN", 6), Map.entry("JUL", 7),
            Map.entry("AUG", 8), Map.entry("SEP", 9), Map.entry("OCT", 10), Map.entry("NOV", 11), Map.entry("DEC", 12));
    private static final Map<String, Integer> DAYS = Map.of("SUN", 1, "MON", 2, "TUE", 3, "WED", 4, "THU", 5,
            "FRI", 6, "SAT", 7);
    /* A gap longer than this (the processor was stopped) counts as "fired". */
    private static final long MAX_SCAN_SECONDS = 2 * 24 * 3600;

    private final BitSet seconds, minutes, hours, daysOfMonth, months, daysOfWeek, years;
    private final boolean anyDayOfMonth, anyDayOfWeek;

    private QuartzCron(final String[] f) {
        seconds = field(f[0], 0, 59, null, "seconds");
        minutes = field(f[1], 0, 59, null, "minutes");
        hours = field(f[2], 0, 23, null, "hours");
        anyDayOfMonth = f[3].equals("?") || f[3].equals("*");
        daysOfMonth = f[3].equals("?") ? null : field(f[3], 1, 31, null, "day of month");
        months = field(f[4], 1, 12, MONTHS, "month");
        anyDayOfWeek = f[5].equals("?") || f[5].equals("*");
        daysOfWeek = f[5].equals("?") ? null : field(f[5], 1, 7, DAYS, "day of week");
        years = f.length == 7 ? field(f[6], 1970, 2199, null, "year") : null;
    }

    /** @throws IllegalArgumentException saying which field is wrong */
    static QuartzCron parse(final String expression) {
        if (expression == null || expression.isBlank()) {
            throw new IllegalArgumentException("the expression is empty; * * * * * ? merges continuously");
        }
        final String[] f = expression.trim().toUpperCase(Locale.ROOT).split("\\s+");
        if (f.length < 6 || f.length > 7) {
            throw new IllegalArgumentException("expected 6 or 7 fields (seconds minutes hours day-of-month month "
                    + "day-of-week [year]), got " + f.length + "; e.g. 0 */5 * * * ? every five minutes");
        }
        if (f[3].equals("?") && f[5].equals("?")) {
            throw new IllegalArgumentException("'?' may stand for day of month or day of week, not both");
        }
        return new QuartzCron(f);
    }

    /** Merging after every write: the expression fires every second. */
    boolean continuous() {
        return seconds.cardinality() == 60 && minutes.cardinality() == 60 && hours.cardinality() == 24
                && anyDayOfMonth && anyDayOfWeek && months.cardinality() == 12 && years == null;
    }

    /** Whether a second in (after, upTo] matches. */
    boolean firesBetween(final Instant after, final Instant upTo) {
        long from = after.getEpochSecond() + 1;
        final long to = upTo.getEpochSecond();
        if (to - from > MAX_SCAN_SECONDS) {
            return true;
        }
        for (long s = from; s <= to; s++) {
            if (matches(ZonedDateTime.ofInstant(Instant.ofEpochSecond(s), ZoneOffset.UTC))) {
                return true;
            }
        }
        return false;
    }

    boolean matches(final ZonedDateTime t) {
        if (!seconds.get(t.getSecond()) || !minutes.get(t.getMinute()) || !hours.get(t.getHour())
                || !months.get(t.getMonthValue()) || (years != null && !years.get(t.getYear()))) {
            return false;
        }
        final boolean dom = daysOfMonth == null || daysOfMonth.get(t.getDayOfMonth());
        final boolean dow = daysOfWeek == null || daysOfWeek.get(t.getDayOfWeek().getValue() % 7 + 1); // SUN = 1
        return dom && dow;
    }

    private static BitSet field(final String text, final int min, final int max, final Map<String, Integer> names,
                                final String what) {
        final BitSet bits = new BitSet(max + 1);
        for (final String part : text.split(",")) {
            try {
                int step = 1;
                String range = part;
                final int slash = part.indexOf('/');
                if (slash >= 0) {
                    step = Integer.parseInt(part.substring(slash + 1));
                    range = part.substring(0, slash);
                    if (step < 1) {
                        throw new IllegalArgumentException();
                    }
                }
                int lo;
                int hi;
                if (range.equals("*") || range.equals("?")) {
                    lo = min;
                    hi = max;
                } else {
                    final int dash = range.indexOf('-');
                    lo = value(dash >= 0 ? range.substring(0, dash) : range, names);
                    hi = dash >= 0 ? value(range.substring(dash + 1), names) : (slash >= 0 ? max : lo);
                }
                if (lo < min || hi > max || lo > hi) {
                    throw new IllegalArgumentException();
                }
                for (int v = lo; v <= hi; v += step) {
                    bits.set(v);
                }
            } catch (final IllegalArgumentException e) {
                throw new IllegalArgumentException("the " + what + " field '" + text + "' is not valid: use *, ?, "
                        + "numbers " + min + "-" + max + (names != null ? " or names" : "") + ", ranges a-b, lists a,b "
                        + "and steps a/n (L, W and # are not supported)");
            }
        }
        return bits;
    }

    private static int value(final String s, final Map<String, Integer> names) {
        if (names != null && names.containsKey(s)) {
            return names.get(s);
        }
        return Integer.parseInt(s);
    }
}
