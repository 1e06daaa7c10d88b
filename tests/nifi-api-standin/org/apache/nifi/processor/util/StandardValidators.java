/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.processor.util;

import java.util.regex.Pattern;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;

public class StandardValidators {
    /* "<number> <unit>" as FormatUtils accepts it (the common units). */
    public static final Pattern TIME_DURATION_PATTERN = Pattern.compile(
            "(\\d+(?:\\.\\d+)?)\\s*(ns|nanos|nanoseconds|ms|millis|milliseconds|s|sec|secs|second|seconds|"
            + "m|min|mins|minute|minutes|h|hr|hrs|hour|hours|d|day|days|w|wk|wks|week|weeks)",
            Pattern.CASE_INSENSITIVE);

    private static ValidationResult result(final String subject, final String input, final String reason) {
        return new ValidationResult.Builder().subject(subject).input(input).explanation(reason).valid(reason == null).build();
    }

    public static final Validator NON_EMPTY_VALIDATOR = (subject, value, context) ->
            result(subject, value, value == null || value.isEmpty() ? subject + " cannot be empty" : null);

    public static final Validator NON_BLANK_VALIDATOR = (subject, value, context) ->
            result(subject, value, value == null || value.trim().isEmpty()
                    ? subject + " must contain at least one character that is not white space" : null);

    public static final Validator POSITIVE_INTEGER_VALIDATOR = (subject, value, context) -> {
        try {
            return result(subject, value, Integer.parseInt(value) <= 0 ? "not a positive value" : null);
        } catch (final NumberFormatException e) {
            return result(subject, value, "not a valid integer");
        }
    };

    public static final Validator NON_NEGATIVE_INTEGER_VALIDATOR = (subject, value, context) -> {
        try {
            return result(subject, value, Integer.parseInt(value) < 0 ? "value is negative" : null);
        } catch (final NumberFormatException e) {
            return result(subject, value, "value is not a valid integer");
        }
    };

    public static final Validator INTEGER_VALIDATOR = (subject, value, context) -> {
        try {
            Integer.parseInt(value);
            return result(subject, value, null);
        } catch (final NumberFormatException e) {
            return result(subject, value, "Value is not a valid integer");
        }
    };

    public static final Validator BOOLEAN_VALIDATOR = (subject, value, context) ->
            result(subject, value, "true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value)
                    ? null : "Value must be 'true' or 'false'");

    public static final Validator TIME_PERIOD_VALIDATOR = (subject, value, context) ->
            result(subject, value, value == null ? "Time Period cannot be null"
                    : TIME_DURATION_PATTERN.matcher(value.trim()).matches() ? null
                    : "Must be of format <duration> <TimeUnit> where <duration> is a non-negative integer and TimeUnit is a supported Time Unit, such as: nanos, millis, secs, mins, hrs, days");

    public static final Validator REGULAR_EXPRESSION_VALIDATOR = (subject, value, context) -> {
        try {
            Pattern.compile(value);
            return result(subject, value, null);
        } catch (final RuntimeException e) {
            return result(subject, value, "Not a valid Java Regular Expression");
        }
    };

    public static Validator createLongValidator(final long minimum, final long maximum, final boolean inclusive) {
        return (subject, input, context) -> {
            String reason = null;
            try {
                final long v = Long.parseLong(input);
                if (v < minimum || (!inclusive && v == minimum) || v > maximum || (!inclusive && v == maximum)) {
                    reason = "Value must be between " + minimum + " and " + maximum + " ("
                            + (inclusive ? "inclusive" : "exclusive") + ")";
                }
            } catch (final NumberFormatException e) {
                reason = "Value must be a number";
            }
            return result(subject, input, reason);
        };
    }

    public static Validator createRegexMatchingValidator(final Pattern pattern) {
        return (subject, input, context) -> result(subject, input,
                input != null && pattern.matcher(input).matches() ? null : "Value does not match regular expression: " + pattern.pattern());
    }
}
