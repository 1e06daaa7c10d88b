/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.expression;

public enum ExpressionLanguageScope {
    NONE("Not Supported"),
    ENVIRONMENT("Environment variables defined at JVM level and system properties"),
    FLOWFILE_ATTRIBUTES("Environment variables and FlowFile Attributes");

    private final String description;

    ExpressionLanguageScope(String description) {
        this.description = description;
    }

    public String getDescription() {
        return description;
    }
}
