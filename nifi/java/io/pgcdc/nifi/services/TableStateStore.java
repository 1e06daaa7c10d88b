package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.Destination;
import io.pgcdc.jni.PgcdcException;
import io.pgcdc.jni.TableInfo;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.components.state.StateMap;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.reporting.InitializationException;

/**
 * The Table State Store: the "PostgreSQL Ingestion Parameters" (which tables and columns) and the table
 * states, kept in the destination (pgcdc_state."_PGCDC_TABLE_STATE", one row per table: state, rows
 * snapshotted, why it FAILED) where a user reads them with SQL or `pgcdc status`.
 *
 * <p>The states are mirrored into the service's cluster state, where NiFi shows them (View State on the
 * controller service): one entry per included table, and the time they were read. The mirror is
 * written whenever the service reads the states or a call through it changed them, and after a
 * processor's own write changed them ({@link #refreshStates()}). The table in the destination stays the
 * truth: the mirror is only a view of it, and clearing it changes no state.
 *
 * <p>Thread-safety: the state calls share one destination connection and are serialized on it; a
 * connection that failed is closed and opened again by the next call.
 */
@Tags({"pgcdc", "postgresql", "cdc", "table state", "column filter"})
@CapabilityDescription("Table State Store of the pgcdc connector: which tables are replicated (Included Table "
        + "Names / Included Table Regex, resolved against the publication), which columns (Column Filter JSON), "
        + "and each table's replication state (NEW, SNAPSHOT_REPLICATION, INCREMENTAL_REPLICATION, FAILED, REMOVED), kept "
        + "in the destination table pgcdc_state._PGCDC_TABLE_STATE and shown in this service's state (View State).")
@Stateful(scopes = Scope.CLUSTER, description = "A view of the table states kept in the destination table "
        + "pgcdc_state._PGCDC_TABLE_STATE: one entry per included table (schema.table) with its state - NEW, "
        + "SNAPSHOT_REPLICATION or INCREMENTAL_REPLICATION with the rows snapshotted, FAILED with why - and "
        + "'" + TableStateStore.REFRESHED_KEY + "', when the states were read. Written whenever the service reads "
        + "or changes the states. Clearing it changes no table's state: it is written again at the next read.")
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
    private Destination stateConnection; // guarded by lock

    /** The key of the mirror's entry telling when the states were read (no table key lacks a dot). */
    public static final String REFRESHED_KEY = "(states read at)";
    /* A FAILED message longer than this is cut in the mirror (the table in the destination has it whole). */
    private static final int MAX_MESSAGE = 1000;
    /* The mirror is rewritten at most this often when no state changed (only rows counts or the time). */
    private static final Duration QUIET_WRITE_INTERVAL = Duration.ofSeconds(5);

    /* Serializes the calls on the state connection and the writes of the mirror. */
    private final ReentrantLock lock = new ReentrantLock();
    /* Set when states may have changed since the mirror was last read: whoever releases the lock next reads
     * them again (see drainRefresh), so a refresh asked for while a long call (a merge) holds the connection
     * neither waits for it nor gets lost. */
    private final AtomicBoolean stale = new AtomicBoolean();

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
    public void onDisabled() {
        lock.lock();
        try {
            this.context = null;
            closeStateConnection();
        } finally {
            lock.unlock();
        }
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

    /* One call on the shared state connection; a failed connection is dropped (the next call reconnects).
     * changes: the call may have changed states, so the mirror is read again afterwards. */
    private <T> T withState(final Function<Destination, T> call, final boolean changes) {
        lock.lock();
        try {
            if (stateConnection == null) {
                stateConnection = openDestination();
            }
            try {
                final T result = call.apply(stateConnection);
                if (changes) {
                    stale.set(true);
                }
                return result;
            } catch (final PgcdcException e) {
                if (e.isInterim()) {
                    closeStateConnection();
                }
                throw e;
            }
        } finally {
            lock.unlock();
            drainRefresh();
        }
    }

    /* Reads the states into the mirror while one is due and nobody else holds the connection. The holder
     * runs this after releasing it, so a refresh asked for meanwhile is done by the holder's thread. */
    private void drainRefresh() {
        while (stale.get() && context != null && lock.tryLock()) {
            try {
                if (stale.getAndSet(false)) {
                    readIntoMirror();
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /* Under the lock: reads the states and mirrors them; a failure leaves the mirror as it was (a warning). */
    private void readIntoMirror() {
        final Instant readAt = Instant.now();
        try {
            if (stateConnection == null) {
                stateConnection = openDestination();
            }
            mirror(stateConnection.tables(), readAt);
        } catch (final PgcdcException e) {
            if (e.isInterim()) {
                closeStateConnection();
            }
            getLogger().warn("Could not read the table states to show them in the service's state: {}", e.getMessage());
        } catch (final IllegalStateException disabled) {
            // disabled meanwhile: nothing to show
        }
    }

    /* Under the lock: writes the states read at readAt into the cluster state unless another node already
     * wrote a later read there, or nothing but rows counts changed since a write less than 5 s ago. */
    private void mirror(final List<TableInfo> tables, final Instant readAt) {
        final StateManager sm = getStateManager();
        if (sm == null) {
            return;
        }
        final Map<String, String> next = new HashMap<>();
        for (final TableInfo t : tables) {
            next.put(t.table(), describe(t));
        }
        try {
            for (int attempt = 0; attempt < 3; attempt++) {
                final StateMap current = sm.getState(Scope.CLUSTER);
                final Map<String, String> shown = new HashMap<>(current.toMap());
                final Instant shownAt = parseInstant(shown.remove(REFRESHED_KEY));
                if (shownAt != null && shownAt.isAfter(readAt)) {
                    return; // another node (or a later call) showed a newer read
                }
                if (shownAt != null && Duration.between(shownAt, readAt).compareTo(QUIET_WRITE_INTERVAL) < 0
                        && withoutCounts(shown).equals(withoutCounts(next))) {
                    return; // no state changed: spare the state provider a write per read
                }
                final Map<String, String> value = new HashMap<>(next);
                value.put(REFRESHED_KEY, readAt.toString());
                if (current.getStateVersion().isEmpty()) {
                    sm.setState(value, Scope.CLUSTER);
                    return;
                }
                if (sm.replace(current, value, Scope.CLUSTER)) {
                    return;
                }
                // another node wrote meanwhile: compare with its view again
            }
        } catch (final IOException e) {
            getLogger().warn("Could not show the table states in the service's state: {}", e.toString());
        }
    }

    /** The mirror's value for one table: its state, the rows snapshotted, why it FAILED or where it left the set (REMOVED). */
    static String describe(final TableInfo t) {
        if ("FAILED".equals(t.state()) || "REMOVED".equals(t.state())) {
            final String m = t.message();
            if (m == null || m.isBlank()) {
                return t.state();
            }
            return t.state() + ": " + (m.length() > MAX_MESSAGE ? m.substring(0, MAX_MESSAGE) + "..." : m);
        }
        if (t.rowsSnapshotted() > 0) {
            return t.state() + " (" + t.rowsSnapshotted() + " rows snapshotted)";
        }
        return t.state();
    }

    private static Map<String, String> withoutCounts(final Map<String, String> shown) {
        final Map<String, String> m = new HashMap<>();
        shown.forEach((k, v) -> m.put(k, v.startsWith("FAILED") || v.startsWith("REMOVED") ? v : v.replaceFirst(" \\(\\d+ rows snapshotted\\)$", "")));
        return m;
    }

    private static Instant parseInstant(final String s) {
        try {
            return s == null ? null : Instant.parse(s);
        } catch (final DateTimeParseException e) {
            return null;
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
        // what was stale before this read is shown by it
        final boolean wasStale = stale.getAndSet(false);
        final Instant readAt = Instant.now();
        try {
            return withState(d -> {
                final List<TableInfo> tables = d.tables();
                mirror(tables, readAt);
                return tables;
            }, false);
        } catch (final RuntimeException e) {
            if (wasStale) {
                stale.set(true);
            }
            throw e;
        }
    }

    @Override
    public String prepareTable(final String table) {
        return withState(d -> d.prepareTable(table), true);
    }

    @Override
    public void finishSnapshot(final String table, final long snapshotLsn) {
        withState(d -> {
            d.finishSnapshot(table, snapshotLsn);
            return null;
        }, true);
    }

    @Override
    public void merge() {
        withState(d -> {
            d.merge();
            return null;
        }, true);
    }

    @Override
    public void failTable(final String table, final String message) {
        withState(d -> {
            d.failTable(table, message);
            return null;
        }, true);
    }

    @Override
    public long durableLsn() {
        return withState(Destination::durableLsn, false);
    }

    @Override
    public void refreshStates() {
        stale.set(true);
        drainRefresh();
    }

    @Override
    public Destination openDestination() {
        try (ConnectorConfig cfg = newConnectorConfig()) {
            return Destination.open(cfg);
        }
    }
}
