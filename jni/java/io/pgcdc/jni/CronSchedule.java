package io.pgcdc.jni;

import java.time.Instant;

/**
 * A Merge Task Schedule CRON expression (Quartz, seconds first, UTC) parsed and evaluated by libpgcdc's
 * own parser (pgcdc/cron.h): the CLI and NiFi accept exactly the same schedules (L, W and # included).
 */
public final class CronSchedule {
    static {
        NativeLibrary.load();
    }

    private final String expression;
    private final boolean continuous;

    private CronSchedule(final String expression, final boolean continuous) {
        this.expression = expression;
        this.continuous = continuous;
    }

    /**
     * Parses the expression.
     *
     * @throws PgcdcException (EINVAL) naming the field that is wrong, with an example of a valid expression
     */
    public static CronSchedule parse(final String expression) {
        return new CronSchedule(expression, nParse(expression));
    }

    /** True when it fires every second ("* * * * * ?" and equivalents): merge continuously. */
    public boolean continuous() {
        return continuous;
    }

    /** The first fire time strictly after {@code epochSecond} (seconds since 1970, UTC), or -1: never again. */
    public long nextAfter(final long epochSecond) {
        return nNext(expression, epochSecond);
    }

    /** Whether it fires in (from, to], both truncated to whole seconds. */
    public boolean firesBetween(final Instant from, final Instant to) {
        final long next = nextAfter(from.getEpochSecond());
        return next >= 0 && next <= to.getEpochSecond();
    }

    @Override
    public String toString() {
        return expression;
    }

    private static native boolean nParse(String expression);

    private static native long nNext(String expression, long afterEpochSecond);
}
