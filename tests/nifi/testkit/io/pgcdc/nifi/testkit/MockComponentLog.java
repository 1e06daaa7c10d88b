package io.pgcdc.nifi.testkit;

import java.util.ArrayList;
import java.util.List;
import org.apache.nifi.logging.ComponentLog;

/**
 * Collects log lines and echoes them to stderr. Thread-safe. As NiFi's component log, every line starts with
 * the component ({@code Name[id=...]}, its toString()) and a trailing Throwable is appended to the message:
 * a line reads "LEVEL Name[id=...] message".
 */
public final class MockComponentLog implements ComponentLog {
    private final Object component;
    private final List<String> lines = new ArrayList<>();

    MockComponentLog(final Object component) {
        this.component = component;
    }

    public synchronized List<String> lines() {
        return List.copyOf(lines);
    }

    private synchronized void log(final String level, final String msg, final Object... args) {
        final StringBuilder sb = new StringBuilder();
        int arg = 0;
        for (int i = 0; i < msg.length(); i++) {
            if (msg.startsWith("{}", i) && arg < args.length) {
                sb.append(args[arg++]);
                i++;
            } else {
                sb.append(msg.charAt(i));
            }
        }
        if (arg < args.length && args[args.length - 1] instanceof Throwable t) {
            sb.append(": ").append(t);
        }
        final String line = level + " " + component + " " + sb;
        lines.add(line);
        System.err.println(line);
    }

    @Override public void warn(final String msg, final Throwable t) { log("WARN", msg, t); }
    @Override public void warn(final String msg, final Object... os) { log("WARN", msg, os); }
    @Override public void warn(final String msg) { log("WARN", msg); }
    @Override public void trace(final String msg) { }
    @Override public void trace(final String msg, final Object... os) { }
    @Override public boolean isWarnEnabled() { return true; }
    @Override public boolean isTraceEnabled() { return false; }
    @Override public boolean isInfoEnabled() { return true; }
    @Override public boolean isErrorEnabled() { return true; }
    @Override public boolean isDebugEnabled() { return false; }
    @Override public void info(final String msg, final Throwable t) { log("INFO", msg, t); }
    @Override public void info(final String msg, final Object... os) { log("INFO", msg, os); }
    @Override public void info(final String msg) { log("INFO", msg); }
    @Override public String getName() { return component.getClass().getName(); }
    @Override public void error(final String msg, final Throwable t) { log("ERROR", msg, t); }
    @Override public void error(final String msg, final Object... os) { log("ERROR", msg, os); }
    @Override public void error(final String msg) { log("ERROR", msg); }
    @Override public void debug(final String msg, final Throwable t) { }
    @Override public void debug(final String msg, final Object... os) { }
    @Override public void debug(final String msg) { }
}
