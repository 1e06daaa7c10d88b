package io.pgcdc.jni;

import java.util.function.LongConsumer;

/**
 * What the classes owning a native object share: the object's address
 * (0 once closed), an idempotent close that frees it exactly once, and the
 * IllegalStateException ("&lt;Class&gt; is closed") for a use after close.
 *
 * <p>Subclasses synchronize their methods on the instance, as {@link #close()}
 * does, so a close from another thread cannot free memory a call is using.
 */
abstract class NativeHandle implements AutoCloseable {
    static {
        NativeLibrary.load();
    }

    private long handle;
    /* The native function freeing the object: called once, by close(). */
    private final LongConsumer free;

    NativeHandle(long handle, LongConsumer free) {
        this.handle = handle;
        this.free = free;
    }

    /** Frees the native object. Idempotent. */
    @Override
    public synchronized void close() {
        if (handle != 0) {
            long h = handle;
            handle = 0;
            free.accept(h);
        }
    }

    /** @return the handle; IllegalStateException once closed */
    final long checkOpen() {
        if (handle == 0) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
        return handle;
    }
}
