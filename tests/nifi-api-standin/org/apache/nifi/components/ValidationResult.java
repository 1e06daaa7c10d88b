/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.components;

public class ValidationResult {
    private final String subject;
    private final String input;
    private final String explanation;
    private final boolean valid;

    protected ValidationResult(final Builder builder) {
        this.subject = builder.subject;
        this.input = builder.input;
        this.explanation = builder.explanation;
        this.valid = builder.valid;
    }

    public boolean isValid() { return valid; }
    public String getInput() { return input; }
    public String getExplanation() { return explanation; }
    public String getSubject() { return subject; }

    @Override
    public String toString() {
        return "'" + subject + "' " + (valid ? "is valid" : "is invalid because " + explanation);
    }

    public static final class Builder {
        private boolean valid = false;
        private String input = null;
        private String explanation = "";
        private String subject = "";

        public Builder valid(final boolean valid) { this.valid = valid; return this; }
        public Builder input(final String input) { this.input = input; return this; }
        public Builder explanation(final String explanation) { this.explanation = explanation; return this; }
        public Builder subject(final String subject) { this.subject = subject; return this; }
        public ValidationResult build() { return new ValidationResult(this); }
    }
}
