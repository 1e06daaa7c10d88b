package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.util.StandardValidators;

/**
 * The source database: the "PostgreSQL Source Parameters". Holds no connection; each component that
 * needs one opens its own with these parameters (libpq: no JDBC driver is needed).
 */
@Tags({"pgcdc", "postgresql", "cdc", "source", "connection"})
@CapabilityDescription("The PostgreSQL source of the pgcdc connector (the PostgreSQL Source Parameters): "
        + "connection URL, credentials, publication and replication slot. Connections are made with libpq "
        + "by the native pgcdc library; no JDBC driver is needed.")
public class PostgreSQLConnectionService extends AbstractControllerService implements PostgreSQLConnectionProvider {

    public static final PropertyDescriptor CONNECTION_URL = new PropertyDescriptor.Builder()
            .name("PostgreSQL Connection URL").displayName("PostgreSQL Connection URL")
            .description("The source database: a JDBC URL (jdbc:postgresql://host:5432/db?sslmode=require), "
                    + "a libpq URI (postgresql://host:5432/db) or a libpq keyword string (host=... dbname=...).")
            .required(true)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .expressionLanguageSupported(ExpressionLanguageScope.NONE)
            .build();
    public static final PropertyDescriptor USERNAME = new PropertyDescriptor.Builder()
            .name("PostgreSQL Username").displayName("PostgreSQL Username")
            .description("The role the connector logs in as: it needs the REPLICATION attribute and SELECT on "
                    + "the replicated tables. Overrides a user given in the URL.")
            .required(false)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.NON_BLANK_VALIDATOR))
            .build();
    public static final PropertyDescriptor PASSWORD = new PropertyDescriptor.Builder()
            .name("PostgreSQL Password").displayName("PostgreSQL Password")
            .description("The password of the PostgreSQL Username. Never logged.")
            .required(false)
            .sensitive(true)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.NON_EMPTY_VALIDATOR))
            .build();
    public static final PropertyDescriptor PUBLICATION = new PropertyDescriptor.Builder()
            .name("Publication Name").displayName("Publication Name")
            .description("The publication the DBA created (CREATE PUBLICATION ... FOR TABLE ...). Included "
                    + "tables that are not in it are skipped with a warning.")
            .required(true)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor SLOT_NAME = new PropertyDescriptor.Builder()
            .name("Replication Slot Name").displayName("Replication Slot Name")
            .description("The logical replication slot to read changes from: reused if it exists, created "
                    + "otherwise. Blank: a name unique to this controller service (pgcdc_ and its id) is used "
                    + "and remembered in the state of CaptureChangePostgreSQL. At most 63 characters: lower-case "
                    + "letters, digits and underscores.")
            .required(false)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.createRegexMatchingValidator(Pattern.compile("[a-z0-9_]{1,63}"))))
            .build();
    public static final PropertyDescriptor SSL_MODE = new PropertyDescriptor.Builder()
            .name("SSL Mode").displayName("SSL Mode")
            .description("libpq sslmode (disable, allow, prefer, require, verify-ca, verify-full); wins over "
                    + "an sslmode given in the URL. Blank: the URL's, else libpq's default (prefer).")
            .required(false)
            .allowableValues("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
            .build();
    public static final PropertyDescriptor SSL_ROOT_CERT = new PropertyDescriptor.Builder()
            .name("SSL Root Certificate").displayName("SSL Root Certificate")
            .description("Path of the CA certificate file used to verify the server (verify-ca, verify-full).")
            .required(false)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();

    static final List<PropertyDescriptor> PARAMETERS = List.of(CONNECTION_URL, USERNAME, PASSWORD, PUBLICATION,
            SSL_MODE, SSL_ROOT_CERT);
    private static final List<PropertyDescriptor> PROPERTIES = List.of(CONNECTION_URL, USERNAME, PASSWORD,
            PUBLICATION, SLOT_NAME, SSL_MODE, SSL_ROOT_CERT);

    private volatile ConfigurationContext context;
    private volatile String slotName;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @OnEnabled
    public void onEnabled(final ConfigurationContext context) {
        final String configured = context.getProperty(SLOT_NAME).getValue();
        this.slotName = configured != null && !configured.isBlank() ? configured.trim() : defaultSlotName(getIdentifier());
        this.context = context;
    }

    @OnDisabled
    public void onDisabled() {
        this.context = null;
    }

    /** "pgcdc_" + the service id without dashes: stable for the life of the flow, unique per service. */
    static String defaultSlotName(final String identifier) {
        final String id = identifier == null ? "default" : identifier.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "");
        final String name = "pgcdc_" + id;
        return name.length() > 63 ? name.substring(0, 63) : name;
    }

    @Override
    public void configure(final ConnectorConfig cfg) {
        final ConfigurationContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("PostgreSQLConnectionService is not enabled");
        }
        ParameterProperties.apply(ctx, PARAMETERS, cfg);
        cfg.set(SLOT_NAME.getName(), slotName);
    }

    @Override
    public String getSlotName() {
        return slotName;
    }
}
