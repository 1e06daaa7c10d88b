package io.pgcdc.jni;

import java.nio.charset.StandardCharsets;
import java.util.logging.Logger;

/**
 * libpgcdc's log lines (slot created, tables failed, snapshots finished,
 * schema changes applied, ...) in Java.
 *
 * <p>The native library installs its log handler when it is loaded; each
 * line goes to the sink bound to the calling thread ({@link #bind}), else to
 * the default sink ({@link #setDefaultSink}), else to
 * {@code java.util.logging} (logger {@code io.pgcdc.native}). Lines logged by
 * native worker threads (the snapshot reader's) have no bound sink: they go
 * to the default one. Lines below INFO are not forwarded.
 *
 * <p>Thread-safe. A sink is called on the thread that logged and must not
 * call back into the library.
 */
public final class NativeLog {
    /** The native levels (pgcdc/log.h). */
    public enum Level { DEBUG, INFO, WARN, ERROR }

    /** Receives native log lines. */
    @FunctionalInterface
    public interface Sink {
        void log(Level level, String message);
    }

    /** Restores the previous binding of the thread when closed. */
    public interface Binding extends AutoCloseable {
        @Override
        void close();
    }

    private static final Logger JUL = Logger.getLogger("io.pgcdc.native");
    private static final ThreadLocal<Sink> BOUND = new ThreadLocal<>();
    private static volatile Sink defaultSink;

    private NativeLog() {
    }

    /** The sink for lines of threads that have none bound; null: java.util.logging. */
    public static void setDefaultSink(Sink sink) {
        defaultSink = sink;
    }

    /** @return the default sink (null: java.util.logging) */
    public static Sink defaultSink() {
        return defaultSink;
    }

    /**
     * Sends the lines the calling thread logs to sink until the binding is
     * closed (use try-with-resources around native calls).
     */
    public static Binding bind(Sink sink) {
        final Sink before = BOUND.get();
        BOUND.set(sink);
        return () -> {
            if (before == null) {
                BOUND.remove();
            } else {
                BOUND.set(before);
            }
        };
    }

    /** Called by the native library (log_jni.c): the message as UTF-8. */
    static void deliver(int level, byte[] utf8) {
        final Level l = level >= 0 && level < Level.values().length ? Level.values()[level] : Level.INFO;
        final String message = new String(utf8, StandardCharsets.UTF_8);
        Sink s = BOUND.get();
        if (s == null) {
            s = defaultSink;
        }
        if (s != null) {
            s.log(l, message);
            return;
        }
        switch (l) {
            case ERROR -> JUL.severe(message);
            case WARN -> JUL.warning(message);
            case INFO -> JUL.info(message);
            default -> JUL.fine(message);
        }
    }
}
