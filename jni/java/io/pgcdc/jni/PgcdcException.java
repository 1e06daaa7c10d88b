package io.pgcdc.jni;

/**
 * An error reported by libpgcdc.
 *
 * <p>Every native failure reaches Java as this exception, thrown from one
 * place in the JNI glue. {@link #getMessage()} is the library's message, which
 * says what is wrong and what to do; it never contains a password.
 * {@link #code()} is the library's error code name (pgcdc_code_name), for
 * example {@code "EINVAL"}, {@code "ECONNECT"}, {@code "ESQL"}.
 */
public class PgcdcException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String code;

    /**
     * @param code    the pgcdc error code name, e.g. "ECONNECT"
     * @param message the user-facing message
     */
    public PgcdcException(String code, String message) {
        super(message);
        this.code = code == null ? "EINTERNAL" : code;
    }

    /** @return the pgcdc error code name ("EINVAL", "ECONNECT", ...) */
    public String code() {
        return code;
    }

    /**
     * @return true for errors that are expected to go away by themselves
     *         (the server could not be reached, a timeout): retry later and do
     *         not fail a table because of it
     */
    public boolean isInterim() {
        return "ECONNECT".equals(code) || "ETIMEOUT".equals(code);
    }

    @Override
    public String toString() {
        return "PgcdcException[" + code + "]: " + getMessage();
    }
}
