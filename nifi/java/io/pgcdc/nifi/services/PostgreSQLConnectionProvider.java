package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import org.apache.nifi.controller.ControllerService;

/** The "PostgreSQL Source Parameters": where changes and snapshots are read from. */
public interface PostgreSQLConnectionProvider extends ControllerService {
    /** Sets the source parameters (and the slot name actually used) on cfg. */
    void configure(ConnectorConfig cfg);

    /** The replication slot: the configured name, or one derived from this service's id when blank. */
    String getSlotName();
}
