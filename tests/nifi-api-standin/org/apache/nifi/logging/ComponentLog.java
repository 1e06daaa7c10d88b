/* Stand-in for nifi-api 2.0.0 (compile-time only; tests/nifi-api-standin). Same package, name and
 * signatures as the real API for the part pgcdc uses; never packaged into the NAR. */
package org.apache.nifi.logging;

/* The stand-in keeps the overloads pgcdc calls; the real interface has more. */
public interface ComponentLog {
    void warn(String msg, Throwable t);
    void warn(String msg, Object... os);
    void warn(String msg);
    void trace(String msg);
    void trace(String msg, Object... os);
    boolean isWarnEnabled();
    boolean isTraceEnabled();
    boolean isInfoEnabled();
    boolean isErrorEnabled();
    boolean isDebugEnabled();
    void info(String msg, Throwable t);
    void info(String msg, Object... os);
    void info(String msg);
    String getName();
    void error(String msg, Throwable t);
    void error(String msg, Object... os);
    void error(String msg);
    void debug(String msg, Throwable t);
    void debug(String msg, Object... os);
    void debug(String msg);
}
