package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import io.pgcdc.jni.Destination;
import io.pgcdc.jni.TableInfo;
import java.util.List;
import org.apache.nifi.controller.ControllerService;

/**
 * The table states (NEW, SNAPSHOT_REPLICATION, INCREMENTAL_REPLICATION, FAILED) kept in the destination
 * table pgcdc_state._PGCDC_TABLE_STATE, and the "PostgreSQL Ingestion Parameters" that decide which
 * tables and columns are replicated. Every method is thread-safe (calls are serialized on one
 * destination connection) unless it hands out a resource. The service shows the states in its own
 * state (NiFi's View State), refreshed by every call below that reads or changes them.
 */
public interface TableStateStoreService extends ControllerService {
    /** A configuration with the source, destination and ingestion parameters set; the caller closes it. */
    ConnectorConfig newConnectorConfig();

    /** The replication slot the connector uses. */
    String getSlotName();

    /** Every included table with its state (NEW for tables never seen). */
    List<TableInfo> tables();

    /** NEW to SNAPSHOT_REPLICATION (or INCREMENTAL_REPLICATION, or FAILED); returns the state afterwards. */
    String prepareTable(String table);

    /** Merges the table's snapshot (bound snapshotLsn) and moves it to INCREMENTAL_REPLICATION. */
    void finishSnapshot(String table, long snapshotLsn);

    /** Merges every INCREMENTAL_REPLICATION table up to the durable position. */
    void merge();

    /** Moves the table to FAILED with the message. */
    void failTable(String table, String message);

    /**
     * Reads the states again into the service's state (View State): for a write on a Destination of the
     * caller's own ({@link #openDestination()}), which may have changed states (a table the destination
     * refused fails alone; snapshot rows are counted). Does not wait for a call holding the state
     * connection: that call's thread reads them when it ends. A failed read is logged, not thrown.
     */
    void refreshStates();

    /** The durable source position written to the destination so far. */
    long durableLsn();

    /** A destination connection of the caller's own (one thread at a time); the caller closes it. */
    Destination openDestination();
}
