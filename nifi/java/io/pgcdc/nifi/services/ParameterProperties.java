package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.PgcdcException;
import java.util.List;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.context.PropertyContext;

/**
 * Properties named exactly as the connector parameters (the Openflow names) and passed to the native
 * configuration as they are: one parser for the CLI and NiFi, so a value NiFi accepts the CLI accepts.
 */
public final class ParameterProperties {
    private ParameterProperties() {
    }

    /**
     * Validates a value with the native parser of the parameter named like the property: the message
     * is the one the CLI would give. If the native library cannot be loaded, says so.
     */
    public static final Validator NATIVE_PARAMETER_VALIDATOR = (subject, input, context) -> {
        final ValidationResult.Builder r = new ValidationResult.Builder().subject(subject).input(input);
        try (ConnectorConfig cfg = new ConnectorConfig()) {
            cfg.set(subject, input);
            return r.valid(true).build();
        } catch (final PgcdcException e) {
            return r.valid(false).explanation(e.getMessage()).build();
        } catch (final UnsatisfiedLinkError | NoClassDefFoundError e) {
            return r.valid(false).explanation("the pgcdc native library (libpgcdc_jni.so) cannot be loaded: "
                    + e.getMessage() + "; is the NAR built for this platform?").build();
        }
    };

    /**
     * For an optional property: a blank value means unset, as in the CLI's configuration file (NiFi keeps a
     * parameter whose value is "" as the empty string, so an optional parameter left empty arrives as "");
     * any other value is checked by {@code v}.
     */
    public static Validator blankIsUnset(final Validator v) {
        return (subject, input, context) -> input == null || input.isBlank()
                ? new ValidationResult.Builder().subject(subject).input(input).valid(true).build()
                : v.validate(subject, input, context);
    }

    /** Sets every property that has a value, not blank (the default applies otherwise), on cfg under its own name. */
    public static void apply(final PropertyContext context, final List<PropertyDescriptor> parameters,
                             final ConnectorConfig cfg) {
        for (final PropertyDescriptor d : parameters) {
            final String v = context.getProperty(d).getValue();
            if (v != null && !v.isBlank()) {
                cfg.set(d.getName(), v);
            }
        }
    }
}
