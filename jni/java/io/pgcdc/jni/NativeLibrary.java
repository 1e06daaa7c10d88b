package io.pgcdc.jni;

/**
 * Loads {@code libpgcdc_jni} once per class loader.
 *
 * <p>The library has libpgcdc linked statically into it, so the only files it
 * needs at run time are system libraries (libpq, libprotobuf-c, libssl, ...).
 * Under NiFi the NAR class loader finds it in the NAR's {@code native/} folder;
 * elsewhere it is looked up on {@code java.library.path}.
 *
 * <p>Every class with native methods calls {@link #load()} from its static
 * initialiser, so callers never need to call it themselves. Thread-safe.
 */
public final class NativeLibrary {
    /** The name given to {@link System#loadLibrary(String)}. */
    public static final String NAME = "pgcdc_jni";

    private static boolean loaded;

    private NativeLibrary() {
    }

    /**
     * Loads the native library if this class loader has not loaded it yet.
     *
     * @throws UnsatisfiedLinkError if the library is not found or cannot be loaded
     */
    public static synchronized void load() {
        if (loaded) {
            return;
        }
        System.loadLibrary(NAME);
        loaded = true;
    }
}
