package io.pgcdc.jni;

import java.util.function.LongFunction;

/**
 * The connector's configuration (wraps the native pgcdc_pipeline_config).
 *
 * <p>Parameters are set by their Openflow names, from all three contexts
 * (source: "PostgreSQL Connection URL", "PostgreSQL Username", ...;
 * destination: "Destination Connection URL", ...; ingestion: "Included Table
 * Names", "Included Table Regex", "Column Filter JSON", "Ingestion Type",
 * "Merge Task Schedule CRON", ...). The same names the CLI's configuration
 * file uses; docs/configuration.md lists them.
 *
 * <p>Objects that are opened with a configuration ({@link ChangeReader},
 * {@link Destination}, {@link SnapshotSession}) take a copy of it, so the
 * configuration may be changed or closed afterwards without affecting them.
 *
 * <p>Thread-safe: methods are synchronized (a configuration is usually set
 * up once and then shared by the objects opened with it).
 */
public final class ConnectorConfig extends NativeHandle implements AutoCloseable {
    /** Creates an empty configuration (every parameter at its default). */
    public ConnectorConfig() {
        super(nCreate(), ConnectorConfig::nFree);
    }

    /**
     * Sets one parameter.
     *
     * @param parameterName the Openflow parameter name
     * @param value         the value; null or "" means "not set" (the default applies)
     * @return this
     * @throws PgcdcException (EINVAL) for an unknown parameter name or a value
     *                        the parameter does not accept
     */
    public synchronized ConnectorConfig set(String parameterName, String value) {
        if (parameterName == null) {
            throw new PgcdcException("EINVAL", "parameter name is null: pass the Openflow parameter name");
        }
        nSet(checkOpen(), parameterName, value);
        return this;
    }

    /**
     * Checks that the configuration is complete and consistent (required
     * parameters present, values well formed). Does not connect anywhere.
     *
     * @throws PgcdcException (EINVAL) saying what is missing or wrong
     */
    public synchronized void validate() {
        nValidate(checkOpen());
    }

    /**
     * Checks the source parameters only (enough for a {@link ChangeReader},
     * a {@link SnapshotSession} or {@link SnapshotFetcher}).
     *
     * @throws PgcdcException (EINVAL) saying what is missing or wrong
     */
    public synchronized void validateSource() {
        nValidateSource(checkOpen());
    }

    /** Frees the native configuration. Idempotent. */
    @Override
    public synchronized void close() {
        super.close();
    }

    /**
     * Runs one call of another class of this package with a native copy of
     * the configuration, freed afterwards: the configuration's lock is held
     * only while copying, not during the call (connections, reads).
     */
    <T> T withCopy(LongFunction<T> call) {
        long c = copyHandle();
        try {
            return call.apply(c);
        } finally {
            nFree(c);
        }
    }

    private synchronized long copyHandle() {
        return nCopy(checkOpen());
    }

    private static native long nCreate();

    private static native void nValidateSource(long handle);

    private static native long nCopy(long handle);

    private static native void nSet(long handle, String name, String value);

    private static native void nValidate(long handle);

    private static native void nFree(long handle);
}
