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
 * {@code java.util.logging} (logger {@code io.pgcdc.native}). The binding is
 * also the native thread's log context: lines logged by native worker threads
 * a bound call starts (the snapshot reader's) go to the sink of that call.
 * Lines below INFO are not forwarded.
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
        final long nativeBefore = pushNative(sink);
        return () -> {
            if (nativeBefore != NO_NATIVE) {
                nPop(nativeBefore);
            }
            if (before == null) {
                BOUND.remove();
            } else {
                BOUND.set(before);
            }
        };
    }

    private static final long NO_NATIVE = -1;

    /* The native side of bind: the thread's native log context, which the
     * threads the library starts inherit. Without the library (a caller that
     * binds before anything loaded it, and it cannot load) the Java binding
     * alone holds: nothing native can log then. */
    private static long pushNative(Sink sink) {
        try {
            NativeLibrary.load();
            return nPush(sink);
        } catch (LinkageError | RuntimeException e) {
            return NO_NATIVE;
        }
    }

    private static native long nPush(Sink sink);

    private static native void nPop(long before);

    /**
     * Called by the native library (log_jni.c): the message as UTF-8, and the
     * sink bound where the logging thread's work was started (null: none).
     */
    static void deliver(int level, byte[] utf8, Sink started) {
        final Level l = level >= 0 && level < Level.values().length ? Level.values()[level] : Level.INFO;
        final String message = new String(utf8, StandardCharsets.UTF_8);
        Sink s = started != null ? started : BOUND.get();
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
