/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

public interface Validator {
    Validator VALID = (subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input)
            .valid(true).build();
    Validator INVALID = (subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input)
            .valid(false).explanation("Validator.INVALID").build();

    ValidationResult validate(String subject, String input, ValidationContext context);
}
