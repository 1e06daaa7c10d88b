package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NAR as NiFi reads it: manifest coordinates, the processors jar and the native library where the
 * NarUnpacker / NarClassLoader look for them, services files that name classes of the jar (which are
 * processors / controller services), no nifi-api inside, a .so that needs no library of ours.
 */
class NarLayoutTest {
    static final String JAR_ENTRY = "META-INF/bundled-dependencies/pgcdc-nifi-processors.jar";
    static final String SO_ENTRY = "META-INF/bundled-dependencies/native/libpgcdc_jni.so";
    static final String PROCESSOR_SERVICES = "META-INF/services/org.apache.nifi.processor.Processor";
    static final String CS_SERVICES = "META-INF/services/org.apache.nifi.controller.ControllerService";

    static Path nar;
    static List<String> narEntries = new ArrayList<>();
    static List<String> jarEntries = new ArrayList<>();
    static byte[] jarBytes;

    @BeforeAll
    static void open() throws IOException {
        nar = Path.of(System.getenv("PGCDC_NAR"));
        try (JarFile jf = new JarFile(nar.toFile())) {
            jf.stream().forEach(e -> narEntries.add(e.getName()));
            final ZipEntry je = jf.getEntry(JAR_ENTRY);
            assertNotNull(je, "the NAR has no " + JAR_ENTRY + "; it has " + narEntries);
            try (InputStream in = jf.getInputStream(je)) {
                jarBytes = in.readAllBytes();
            }
        }
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jarBytes))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                jarEntries.add(e.getName());
            }
        }
    }

    @Test
    void manifestHasTheNarCoordinates() throws IOException {
        try (JarFile jf = new JarFile(nar.toFile())) {
            final Manifest m = jf.getManifest();
            assertNotNull(m, "no META-INF/MANIFEST.MF");
            final Attributes a = m.getMainAttributes();
            assertEquals("io.pgcdc", a.getValue("Nar-Group"));
            assertEquals("pgcdc-nifi", a.getValue("Nar-Id"));
            final String version = a.getValue("Nar-Version");
            assertNotNull(version);
            assertTrue(nar.getFileName().toString().equals("pgcdc-nifi-" + version + ".nar"),
                    "file name " + nar.getFileName() + " does not carry Nar-Version " + version);
            assertTrue(a.getValue("Build-Timestamp").matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ"),
                    "Build-Timestamp " + a.getValue("Build-Timestamp"));
            // No parent NAR: only nifi-api (in NiFi's lib/) is needed.
            assertTrue(a.keySet().stream().noneMatch(k -> k.toString().startsWith("Nar-Dependency")));
        }
    }

    @Test
    void bundlesTheJarAndTheNativeLibraryOnly() {
        assertTrue(narEntries.contains(JAR_ENTRY));
        assertTrue(narEntries.contains(SO_ENTRY), "native library not at " + SO_ENTRY + ": " + narEntries);
        for (final String e : narEntries) {
            if (e.endsWith("/") || e.equals("META-INF/MANIFEST.MF")) {
                continue;
            }
            assertTrue(e.equals(JAR_ENTRY) || e.equals(SO_ENTRY), "unexpected entry in the NAR: " + e);
        }
    }

    @Test
    void noNifiApiInside() {
        for (final String e : jarEntries) {
            assertFalse(e.startsWith("org/apache/nifi/"), "nifi-api class bundled: " + e);
        }
        assertTrue(jarEntries.contains("io/pgcdc/jni/NativeLibrary.class"), "the JNI API is not in the processors jar");
    }

    private static List<String> services(final String entry) throws IOException {
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jarBytes))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.getName().equals(entry)) {
                    final List<String> names = new ArrayList<>();
                    for (final String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                        final String l = line.replaceAll("#.*", "").trim();
                        if (!l.isEmpty()) {
                            names.add(l);
                        }
                    }
                    return names;
                }
            }
        }
        throw new AssertionError(entry + " missing from the processors jar");
    }

    @Test
    void servicesFilesNameClassesOfTheJar() throws Exception {
        final List<String> processors = services(PROCESSOR_SERVICES);
        final List<String> controllerServices = services(CS_SERVICES);
        assertEquals(8, processors.size(), processors.toString());
        assertEquals(3, controllerServices.size(), controllerServices.toString());
        final ClassLoader cl = getClass().getClassLoader();
        for (final String c : processors) {
            assertTrue(jarEntries.contains(c.replace('.', '/') + ".class"), c + " is not in the jar");
            final Class<?> k = Class.forName(c, false, cl);
            assertTrue(org.apache.nifi.processor.Processor.class.isAssignableFrom(k), c + " is not a Processor");
            k.getConstructor();
        }
        for (final String c : controllerServices) {
            assertTrue(jarEntries.contains(c.replace('.', '/') + ".class"), c + " is not in the jar");
            final Class<?> k = Class.forName(c, false, cl);
            assertTrue(org.apache.nifi.controller.ControllerService.class.isAssignableFrom(k), c + " is not a ControllerService");
            k.getConstructor();
        }
    }

    @Test
    void nativeLibraryNeedsNoLibraryOfOurs() throws Exception {
        final Path so = Files.createTempFile("libpgcdc_jni", ".so");
        try {
            try (JarFile jf = new JarFile(nar.toFile()); InputStream in = jf.getInputStream(jf.getEntry(SO_ENTRY))) {
                Files.write(so, in.readAllBytes());
            }
            final Process p = new ProcessBuilder("readelf", "-d", so.toString()).redirectErrorStream(true).start();
            final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.waitFor(), out);
            final List<String> needed = new ArrayList<>();
            for (final String line : out.split("\n")) {
                if (line.contains("(NEEDED)")) {
                    needed.add(line.replaceAll(".*\\[(.*)\\].*", "$1"));
                }
            }
            assertFalse(needed.isEmpty(), "readelf shows no NEEDED entry at all:\n" + out);
            for (final String lib : needed) {
                assertFalse(lib.contains("pgcdc"), "the JNI library needs " + lib + ": libpgcdc must be linked in statically");
            }
            assertTrue(needed.stream().anyMatch(l -> l.startsWith("libpq.so")), "libpq expected as a system library: " + needed);
            assertFalse(out.contains("RPATH") || out.contains("RUNPATH"), "no RPATH/RUNPATH into a build tree:\n" + out);
        } finally {
            Files.deleteIfExists(so);
        }
    }

    /** The extracted .so loads and its JNI functions resolve (the same file NiFi would copy and load). */
    @Test
    void nativeLibraryLoadsFromTheNar() throws Exception {
        final Path dir = Files.createTempDirectory("nar-native");
        final Path so = dir.resolve("libpgcdc_jni.so");
        try {
            try (JarFile jf = new JarFile(nar.toFile()); InputStream in = jf.getInputStream(jf.getEntry(SO_ENTRY))) {
                Files.write(so, in.readAllBytes());
            }
            System.load(so.toString());
            try (io.pgcdc.jni.ConnectorConfig cfg = new io.pgcdc.jni.ConnectorConfig()) {
                cfg.set("Publication Name", "p");
            }
        } finally {
            Files.deleteIfExists(so);
            Files.deleteIfExists(dir);
        }
    }
}
