package io.pgcdc.nifi.services;

import io.pgcdc.jni.ConnectorConfig;
import org.apache.nifi.controller.ControllerService;

/** The "PostgreSQL Destination Parameters": where journals, tables and states are written. */
public interface DestinationConnectionProvider extends ControllerService {
    /** Sets the destination parameters on cfg. */
    void configure(ConnectorConfig cfg);
}
