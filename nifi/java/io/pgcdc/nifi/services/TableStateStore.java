package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.Destination;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.TableInfo;
import java.util.List;
import java.util.function.Function;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.reporting.InitializationException;

/**
 * The Table State Store: the "PostgreSQL Ingestion Parameters" (which tables and columns) and the table
 * states, kept in the destination (pgcdc_state."_PGCDC_TABLE_STATE", one row per table: state, rows
 * snapshotted, why it FAILED) where a user reads them with SQL or `pgcdc status`.
 *
 * <p>Thread-safety: the state calls share one destination connection and are serialized on it; a
 * connection that failed is closed and opened again by the next call.
 */
@Tags({"pgcdc", "postgresql", "cdc", "table state", "column filter"})
@CapabilityDescription("Table State Store of the pgcdc connector: which tables are replicated (Included Table "
        + "Names / Included Table Regex, resolved against the publication), which columns (Column Filter JSON), "
        + "and each table's replication state (NEW, SNAPSHOT_REPLICATION, INCREMENTAL_REPLICATION, FAILED), kept "
        + "in the destination table pgcdc_state._PGCDC_TABLE_STATE.")
public class TableStateStore extends AbstractControllerService implements TableStateStoreService {

    public static final PropertyDescriptor SOURCE_SERVICE = new PropertyDescriptor.Builder()
            .name("PostgreSQL Connection Service").displayName("PostgreSQL Connection Service")
            .description("The source database (PostgreSQL Source Parameters).")
            .required(true)
            .identifiesControllerService(PostgreSQLConnectionProvider.class)
            .build();
    public static final PropertyDescriptor DESTINATION_SERVICE = new PropertyDescriptor.Builder()
            .name("Destination Connection Service").displayName("Destination Connection Service")
            .description("The destination database (PostgreSQL Destination Parameters), which also holds the states.")
            .required(true)
            .identifiesControllerService(DestinationConnectionProvider.class)
            .build();
    public static final PropertyDescriptor INCLUDED_TABLE_NAMES = new PropertyDescriptor.Builder()
            .name("Included Table Names").displayName("Included Table Names")
            .description("Comma-separated schema.table names to replicate. The union with Included Table Regex "
                    + "is used; tables not in the publication are skipped with a warning.")
            .required(false)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor INCLUDED_TABLE_REGEX = new PropertyDescriptor.Builder()
            .name("Included Table Regex").displayName("Included Table Regex")
            .description("A regular expression matched against schema.table; matching tables of the publication "
                    + "are replicated.")
            .required(false)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor COLUMN_FILTER_JSON = new PropertyDescriptor.Builder()
            .name("Column Filter JSON").displayName("Column Filter JSON")
            .description("A JSON array of {schema|schemaPattern, table|tablePattern, included, excluded, "
                    + "includedPattern, excludedPattern}: exclusions win, the last matching filter wins, exact "
                    + "beats pattern; key columns are always kept. Blank: every column.")
            .required(false)
            .addValidator(ParameterProperties.NATIVE_PARAMETER_VALIDATOR)
            .build();
    public static final PropertyDescriptor INGESTION_TYPE = new PropertyDescriptor.Builder()
            .name("Ingestion Type").displayName("Ingestion Type")
            .description("full: snapshot each table, then replicate its changes; incremental: changes only (no "
                    + "snapshot of newly added tables).")
            .required(true)
            .allowableValues("full", "incremental")
            .defaultValue("full")
            .build();
    public static final PropertyDescriptor OBJECT_IDENTIFIER_RESOLUTION = new PropertyDescriptor.Builder()
            .name("Object Identifier Resolution").displayName("Object Identifier Resolution")
            .description("CASE_SENSITIVE: destination names as in the source (quoted); CASE_INSENSITIVE: "
                    + "upper-cased. Must not change after ingestion started.")
            .required(true)
            .allowableValues("CASE_SENSITIVE", "CASE_INSENSITIVE")
            .defaultValue("CASE_SENSITIVE")
            .build();

    static final List<PropertyDescriptor> PARAMETERS = List.of(INCLUDED_TABLE_NAMES, INCLUDED_TABLE_REGEX,
            COLUMN_FILTER_JSON, INGESTION_TYPE, OBJECT_IDENTIFIER_RESOLUTION);
    private static final List<PropertyDescriptor> PROPERTIES = List.of(SOURCE_SERVICE, DESTINATION_SERVICE,
            INCLUDED_TABLE_NAMES, INCLUDED_TABLE_REGEX, COLUMN_FILTER_JSON, INGESTION_TYPE, OBJECT_IDENTIFIER_RESOLUTION);

    private volatile ConfigurationContext context;
    private volatile PostgreSQLConnectionProvider source;
    private volatile DestinationConnectionProvider destination;
    private Destination stateConnection; // guarded by this

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    /** Checks the three parameter groups together (no connection is made): enabling fails with the reason. */
    @OnEnabled
    public void onEnabled(final ConfigurationContext context) throws InitializationException {
        this.source = context.getProperty(SOURCE_SERVICE).asControllerService(PostgreSQLConnectionProvider.class);
        this.destination = context.getProperty(DESTINATION_SERVICE).asControllerService(DestinationConnectionProvider.class);
        this.context = context;
        try (ConnectorConfig cfg = newConnectorConfig()) {
            cfg.validate();
        } catch (final PgcdcException e) {
            this.context = null;
            throw new InitializationException("The connector parameters are not valid: " + e.getMessage(), e);
        }
    }

    @OnDisabled
    public synchronized void onDisabled() {
        this.context = null;
        closeStateConnection();
    }

    @Override
    public ConnectorConfig newConnectorConfig() {
        final ConfigurationContext ctx = context;
        if (ctx == null) {
            throw new IllegalStateException("TableStateStore is not enabled");
        }
        final ConnectorConfig cfg = new ConnectorConfig();
        try {
            source.configure(cfg);
            destination.configure(cfg);
            ParameterProperties.apply(ctx, PARAMETERS, cfg);
            return cfg;
        } catch (final RuntimeException e) {
            cfg.close();
            throw e;
        }
    }

    @Override
    public String getSlotName() {
        return source.getSlotName();
    }

    /* One call on the shared state connection; a failed connection is dropped (the next call reconnects). */
    private synchronized <T> T withState(final Function<Destination, T> call) {
        if (stateConnection == null) {
            stateConnection = openDestination();
        }
        try {
            return call.apply(stateConnection);
        } catch (final PgcdcException e) {
            if (e.isInterim()) {
                closeStateConnection();
            }
            throw e;
        }
    }

    private void closeStateConnection() {
        if (stateConnection != null) {
            stateConnection.close();
            stateConnection = null;
        }
    }

    @Override
    public List<TableInfo> tables() {
        return withState(Destination::tables);
    }

    @Override
    public String prepareTable(final String table) {
        return withState(d -> d.prepareTable(table));
    }

    @Override
    public void finishSnapshot(final String table, final long snapshotLsn) {
        withState(d -> {
            d.finishSnapshot(table, snapshotLsn);
            return null;
        });
    }

    @Override
    public void merge() {
        withState(d -> {
            d.merge();
            return null;
        });
    }

    @Override
    public void failTable(final String table, final String message) {
        withState(d -> {
            d.failTable(table, message);
            return null;
        });
    }

    @Override
    public long durableLsn() {
        return withState(Destination::durableLsn);
    }

    @Override
    public Destination openDestination() {
        try (ConnectorConfig cfg = newConnectorConfig()) {
            return Destination.open(cfg);
        }
    }
}
