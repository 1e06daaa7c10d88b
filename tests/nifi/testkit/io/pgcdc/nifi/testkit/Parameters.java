package io.pgcdc.nifi.testkit;

import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A parameter context: #{Name} in a property value is replaced by the parameter's value. */
public final class Parameters {
    private static final Pattern REF = Pattern.compile("#\\{([^}]+)\\}");
    private final Map<String, String> values = new HashMap<>();

    public Parameters set(final String name, final String value) {
        values.put(name, value);
        return this;
    }

    public Map<String, String> asMap() {
        return Map.copyOf(values);
    }

    /**
     * The value with every #{...} substituted; IllegalArgumentException for an unknown parameter (as NiFi's
     * validation). As NiFi's StandardParameterTokenList.substitute: the result is null (the property unset)
     * only when every parameter referenced has no value and nothing else is left; a parameter whose value
     * is "" gives "" (a set, empty property, which the validators see).
     */
    public String resolve(final String raw) {
        if (raw == null) {
            return null;
        }
        final Matcher m = REF.matcher(raw);
        final StringBuilder sb = new StringBuilder();
        int refs = 0;
        int nulls = 0;
        while (m.find()) {
            refs++;
            final String name = m.group(1);
            if (!values.containsKey(name)) {
                throw new IllegalArgumentException("Property references Parameter '" + name + "' but the Parameter "
                        + "Context has no such Parameter");
            }
            final String v = values.get(name);
            if (v == null) {
                nulls++;
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : v));
        }
        m.appendTail(sb);
        return refs > 0 && nulls == refs && sb.length() == 0 ? null : sb.toString();
    }
}
