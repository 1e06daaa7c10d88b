/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.controller;

import java.util.Set;

public interface ControllerServiceLookup {
    ControllerService getControllerService(String serviceIdentifier);
    boolean isControllerServiceEnabled(String serviceIdentifier);
    boolean isControllerServiceEnabling(String serviceIdentifier);
    boolean isControllerServiceEnabled(ControllerService service);
    Set<String> getControllerServiceIdentifiers(Class<? extends ControllerService> serviceType) throws IllegalArgumentException;
    String getControllerServiceName(String serviceIdentifier);
}
