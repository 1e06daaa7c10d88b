package io.pgcdc.jni;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads {@code libpgcdc_jni} once per class loader.
 *
 * <p>The library has libpgcdc and protobuf-c linked statically into it; it needs libpq, which the NAR
 * ships beside it with what libpq needs beyond glibc and OpenSSL 3 ({@code pgcdc-native-deps.txt} names
 * them in load order). Those are loaded first, by absolute path, so that the library's NEEDED entries
 * resolve to them on a host that has no libpq (the official NiFi image). Then:
 *
 * <ol>
 * <li>{@link System#loadLibrary}: the NAR's class loader finds the library in the NAR's
 * {@code native/} folder; elsewhere it is looked up on {@code java.library.path};</li>
 * <li>failing that, the library is taken from the class path (NiFi's uber-jar unpacking -
 * {@code nifi.nar.unpack.uber.jar=true}, Stateless NiFi, MiNiFi - leaves it inside the jar), copied to
 * a private temporary directory and loaded with {@link System#load}, as RocksDB's and Netty's loaders
 * do.</li>
 * </ol>
 *
 * <p>Every class with native methods calls {@link #load()} from its static initialiser, so callers never
 * need to call it themselves. Thread-safe.
 */
public final class NativeLibrary {
    /** The name given to {@link System#loadLibrary(String)}. */
    public static final String NAME = "pgcdc_jni";
    /** Where the NAR keeps the native files (a class-path resource folder after uber-jar unpacking). */
    static final String RESOURCE_DIR = "META-INF/bundled-dependencies/native/";
    static final String DEPS_LIST = "pgcdc-native-deps.txt";

    private static boolean loaded;
    private static Path extracted;

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
        final Path dir = nativeDirectory();
        try {
            preloadDependencies(dir);
        } catch (final IOException | UncheckedIOException e) {
            final UnsatisfiedLinkError u = new UnsatisfiedLinkError("pgcdc: the libraries shipped with " + NAME
                    + " cannot be loaded: " + e);
            u.initCause(e);
            throw u;
        }
        try {
            System.loadLibrary(NAME);
        } catch (final UnsatisfiedLinkError notOnPath) {
            final Path lib = find(dir, System.mapLibraryName(NAME));
            if (lib == null) {
                throw notOnPath;
            }
            System.load(lib.toString());
        }
        loaded = true;
    }

    /* The NAR's native folder next to this class's jar (NiFi's directory unpacking:
     * NAR-INF/bundled-dependencies/{the jar, native/}), or null. */
    private static Path nativeDirectory() {
        try {
            final CodeSource cs = NativeLibrary.class.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null || !"file".equals(cs.getLocation().getProtocol())) {
                return null;
            }
            final Path jar = Path.of(cs.getLocation().toURI());
            final Path dir = jar.getParent() == null ? null : jar.getParent().resolve("native");
            return dir != null && Files.isDirectory(dir) ? dir : null;
        } catch (final URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /* The file in dir, else the class-path resource copied to the private directory; null if neither. */
    private static Path find(final Path dir, final String name) {
        if (dir != null && Files.isRegularFile(dir.resolve(name))) {
            return dir.resolve(name).toAbsolutePath();
        }
        try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                return null;
            }
            final Path to = privateDirectory().resolve(name);
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
            to.toFile().deleteOnExit();
            return to;
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot copy " + name + " out of the class path", e);
        }
    }

    /* One directory per class loader, readable by this user only (no other user can swap a library in). */
    private static Path privateDirectory() throws IOException {
        if (extracted == null) {
            extracted = Files.createTempDirectory("pgcdc-jni-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            extracted.toFile().deleteOnExit();
        }
        return extracted;
    }

    /* The libraries the NAR ships (pgcdc-native-deps.txt), by absolute path, in the listed order. None
     * listed (a build used from its tree, the system's libpq): nothing to do. */
    private static void preloadDependencies(final Path dir) throws IOException {
        final List<String> names = new ArrayList<>();
        final Path listed = find(dir, DEPS_LIST);
        if (listed == null) {
            return;
        }
        for (final String line : Files.readString(listed, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                names.add(line.trim());
            }
        }
        for (final String n : names) {
            final Path lib = find(dir, n);
            if (lib == null) {
                throw new IOException(n + " is listed in " + DEPS_LIST + " but not shipped");
            }
            System.load(lib.toString());
        }
    }
}
