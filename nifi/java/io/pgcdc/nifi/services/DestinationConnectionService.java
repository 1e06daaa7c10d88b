package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import java.util.List;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.processor.util.StandardValidators;

/** The destination database: the "PostgreSQL Destination Parameters". */
@Tags({"pgcdc", "postgresql", "cdc", "destination", "connection"})
@CapabilityDescription("The destination of the pgcdc connector (the PostgreSQL Destination Parameters): where the "
        + "journal tables, the replicated tables and the table states (pgcdc_state._PGCDC_TABLE_STATE) are written. "
        + "This build writes to PostgreSQL.")
public class DestinationConnectionService extends AbstractControllerService implements DestinationConnectionProvider {

    public static final PropertyDescriptor DESTINATION_TYPE = new PropertyDescriptor.Builder()
            .name("Destination Type").displayName("Destination Type")
            .description("The kind of destination. POSTGRESQL is built; SNOWFLAKE is not built yet.")
            .required(true)
            .allowableValues("POSTGRESQL")
            .defaultValue("POSTGRESQL")
            .build();
    public static final PropertyDescriptor CONNECTION_URL = new PropertyDescriptor.Builder()
            .name("Destination Connection URL").displayName("Destination Connection URL")
            .description("The destination database: a JDBC URL, a libpq URI or a libpq keyword string.")
            .required(true)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor USERNAME = new PropertyDescriptor.Builder()
            .name("Destination Username").displayName("Destination Username")
            .description("The destination role: it creates schemas and tables. Overrides a user given in the URL.")
            .required(false)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.NON_BLANK_VALIDATOR))
            .build();
    public static final PropertyDescriptor PASSWORD = new PropertyDescriptor.Builder()
            .name("Destination Password").displayName("Destination Password")
            .description("The password of the Destination Username. Never logged.")
            .required(false)
            .sensitive(true)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.NON_EMPTY_VALIDATOR))
            .build();
    public static final PropertyDescriptor DATABASE = new PropertyDescriptor.Builder()
            .name("Destination Database").displayName("Destination Database")
            .description("The destination database name; must equal the URL's database when both are given.")
            .required(false)
            .addValidator(ParameterProperties.blankIsUnset(StandardValidators.NON_BLANK_VALIDATOR))
            .build();
    public static final PropertyDescriptor SCHEMA_PATTERN = new PropertyDescriptor.Builder()
            .name("Destination Schema Pattern").displayName("Destination Schema Pattern")
            .description("The destination schema of each table, with the placeholders ${source.database.name}, "
                    + "${source.schema.name} and ${source.table.name} (not NiFi Expression Language). Must not "
                    + "change after ingestion started.")
            .required(false)
            .defaultValue("${source.schema.name}")
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor OVERSIZED_VALUE_STRATEGY = new PropertyDescriptor.Builder()
            .name("Oversized Value Strategy").displayName("Oversized Value Strategy")
            .description("What to do with a value the destination cannot hold: fail the table or store NULL. "
                    + "A PostgreSQL destination holds every value, so it has no effect there.")
            .required(false)
            .allowableValues("Fail Table", "Set Null")
            .defaultValue("Fail Table")
            .build();

    static final List<PropertyDescriptor> PARAMETERS = List.of(DESTINATION_TYPE, CONNECTION_URL, USERNAME, PASSWORD,
            DATABASE, SCHEMA_PATTERN, OVERSIZED_VALUE_STRATEGY);

    private volatile ConfigurationContext context;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PARAMETERS;
    }

    @OnEnabled
    public void onEnabled(final ConfigurationContext context) {
        this.context = context;
    }

    @OnDisabled
    public void onDisabled() {
        this.context = null;
    }

    @Override
    public void configure(final ConnectorConfig cfg) {
        final ConfigurationContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("DestinationConnectionService is not enabled");
        }
        ParameterProperties.apply(ctx, PARAMETERS, cfg);
    }
}
