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
    static final String EXTENSION_MANIFEST = "META-INF/docs/extension-manifest.xml";
    static final String ADDITIONAL_DETAILS = "META-INF/docs/additional-details/";

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

    static final String NATIVE_DIR = "META-INF/bundled-dependencies/native/";
    static final String DEPS_ENTRY = NATIVE_DIR + "pgcdc-native-deps.txt";
    /* What a glibc-based JRE image has: glibc's libraries and OpenSSL 3. */
    static final java.util.regex.Pattern HOST_LIB = java.util.regex.Pattern.compile(
            "(libc|libm|libpthread|libdl|librt|libresolv)\\.so\\.\\d+|ld-linux-x86-64\\.so\\.2|lib(ssl|crypto)\\.so\\.3");

    static List<String> shippedDeps() throws IOException {
        try (JarFile jf = new JarFile(nar.toFile()); InputStream in = jf.getInputStream(jf.getEntry(DEPS_ENTRY))) {
            return List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")).stream()
                    .filter(l -> !l.isBlank()).toList();
        }
    }

    @Test
    void bundlesTheJarTheNativeLibraryAndWhatItNeeds() throws IOException {
        assertTrue(narEntries.contains(JAR_ENTRY));
        assertTrue(narEntries.contains(SO_ENTRY), "native library not at " + SO_ENTRY + ": " + narEntries);
        assertTrue(narEntries.contains(DEPS_ENTRY), "no " + DEPS_ENTRY);
        final List<String> deps = shippedDeps();
        assertTrue(deps.contains("libpq.so.5"), "libpq is not shipped: " + deps);
        assertEquals("libpq.so.5", deps.get(deps.size() - 1), "libpq is loaded after what it needs: " + deps);
        for (final String e : narEntries) {
            if (e.endsWith("/") || e.equals("META-INF/MANIFEST.MF")) {
                continue;
            }
            assertTrue(e.equals(JAR_ENTRY) || e.equals(SO_ENTRY) || e.equals(DEPS_ENTRY) || e.equals(EXTENSION_MANIFEST)
                    || e.startsWith(NATIVE_DIR) && deps.contains(e.substring(NATIVE_DIR.length()))
                    || e.matches(java.util.regex.Pattern.quote(ADDITIONAL_DETAILS) + "io\\.pgcdc\\.nifi\\.[\\w.]+/additionalDetails\\.md"),
                    "unexpected entry in the NAR: " + e);
        }
    }

    @Test
    void noNifiApiInside() {
        for (final String e : jarEntries) {
            assertFalse(e.startsWith("org/apache/nifi/"), "nifi-api class bundled: " + e);
            assertFalse(e.startsWith("io/pgcdc/nifi/tools/"), "the build-time manifest writer is bundled: " + e);
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

    static List<String> needed(final Path so) throws Exception {
        final Process p = new ProcessBuilder("readelf", "-d", so.toString()).redirectErrorStream(true).start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        assertFalse(out.contains("RPATH") || out.contains("RUNPATH"), so.getFileName() + ": no RPATH/RUNPATH:\n" + out);
        final List<String> needed = new ArrayList<>();
        for (final String line : out.split("\n")) {
            if (line.contains("(NEEDED)")) {
                needed.add(line.replaceAll(".*\\[(.*)\\].*", "$1"));
            }
        }
        return needed;
    }

    /** The extension manifest's text, parsed: NiFi's StandardRuntimeManifestService reads this file for the usage pages. */
    private static org.w3c.dom.Element extensionManifest() throws Exception {
        try (JarFile jf = new JarFile(nar.toFile())) {
            final ZipEntry e = jf.getEntry(EXTENSION_MANIFEST);
            assertNotNull(e, "no " + EXTENSION_MANIFEST + ": NiFi logs \"There is no extension manifest\" and shows no usage page");
            try (InputStream in = jf.getInputStream(e)) {
                return javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(in).getDocumentElement();
            }
        }
    }

    private static List<org.w3c.dom.Element> children(final org.w3c.dom.Element parent, final String name) {
        final List<org.w3c.dom.Element> out = new ArrayList<>();
        if (parent == null) {
            return out;
        }
        for (org.w3c.dom.Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof org.w3c.dom.Element && n.getNodeName().equals(name)) {
                out.add((org.w3c.dom.Element) n);
            }
        }
        return out;
    }

    private static org.w3c.dom.Element child(final org.w3c.dom.Element parent, final String name) {
        final List<org.w3c.dom.Element> c = children(parent, name);
        return c.isEmpty() ? null : c.get(0);
    }

    private static String text(final org.w3c.dom.Element parent, final String name) {
        final org.w3c.dom.Element c = child(parent, name);
        return c == null ? null : c.getTextContent();
    }

    /**
     * Every component of the services files is in the manifest with its type, description, tags, its
     * properties (name, display name, description, required, sensitive, default) and relationships as
     * the component itself reports them; systemApiVersion is the nifi-api version built against.
     */
    @Test
    void extensionManifestDescribesEveryComponent() throws Exception {
        final org.w3c.dom.Element root = extensionManifest();
        assertEquals("extensionManifest", root.getNodeName());
        assertTrue(text(root, "systemApiVersion") != null && text(root, "systemApiVersion").matches("2\\.\\d+\\.\\d+.*"),
                "systemApiVersion " + text(root, "systemApiVersion"));
        assertEquals("io.pgcdc", text(root, "groupId"));
        assertEquals("pgcdc-nifi", text(root, "artifactId"));
        final java.util.Map<String, org.w3c.dom.Element> byName = new java.util.HashMap<>();
        for (final org.w3c.dom.Element x : children(child(root, "extensions"), "extension")) {
            byName.put(text(x, "name"), x);
        }
        final List<String> expected = new ArrayList<>();
        for (final String c : services(PROCESSOR_SERVICES)) {
            expected.add(c);
            checkExtension(byName.get(c), c, "PROCESSOR");
        }
        for (final String c : services(CS_SERVICES)) {
            expected.add(c);
            checkExtension(byName.get(c), c, "CONTROLLER_SERVICE");
        }
        assertEquals(new java.util.TreeSet<>(expected), new java.util.TreeSet<>(byName.keySet()), "extensions of the manifest");
    }

    private static void checkExtension(final org.w3c.dom.Element x, final String c, final String type) throws Exception {
        assertNotNull(x, c + " is not in " + EXTENSION_MANIFEST);
        assertEquals(type, text(x, "type"), c);
        final Class<?> k = Class.forName(c);
        final org.apache.nifi.annotation.documentation.CapabilityDescription cd =
                k.getAnnotation(org.apache.nifi.annotation.documentation.CapabilityDescription.class);
        assertNotNull(cd, c + " has no @CapabilityDescription");
        assertEquals(cd.value(), text(x, "description"), c);
        final List<String> tags = new ArrayList<>();
        children(child(x, "tags"), "tag").forEach(t -> tags.add(t.getTextContent()));
        assertEquals(List.of(k.getAnnotation(org.apache.nifi.annotation.documentation.Tags.class).value()), tags, c);

        final org.apache.nifi.components.ConfigurableComponent component =
                (org.apache.nifi.components.ConfigurableComponent) k.getConstructor().newInstance();
        final List<org.w3c.dom.Element> props = children(child(x, "properties"), "property");
        final List<org.apache.nifi.components.PropertyDescriptor> descriptors = component.getPropertyDescriptors();
        assertFalse(descriptors.isEmpty(), c);
        assertEquals(descriptors.size(), props.size(), c + ": properties in the manifest");
        for (int i = 0; i < descriptors.size(); i++) {
            final org.apache.nifi.components.PropertyDescriptor d = descriptors.get(i);
            final org.w3c.dom.Element p = props.get(i);
            final String where = c + " / " + d.getName();
            assertEquals(d.getName(), text(p, "name"), where);
            assertEquals(d.getDisplayName(), text(p, "displayName"), where);
            assertEquals(d.getDescription(), text(p, "description"), where);
            assertFalse(d.getDescription() == null || d.getDescription().isBlank(), where + " has no description");
            assertEquals(String.valueOf(d.isRequired()), text(p, "required"), where);
            assertEquals(String.valueOf(d.isSensitive()), text(p, "sensitive"), where);
            assertEquals(d.getDefaultValue(), text(p, "defaultValue"), where);
            if (d.getControllerServiceDefinition() != null) {
                assertEquals(d.getControllerServiceDefinition().getName(),
                        text(child(p, "controllerServiceDefinition"), "className"), where);
            }
        }
        if (component instanceof org.apache.nifi.processor.Processor) {
            final java.util.Map<String, String> rels = new java.util.TreeMap<>();
            for (final org.w3c.dom.Element r : children(child(x, "relationships"), "relationship")) {
                rels.put(text(r, "name"), text(r, "description"));
            }
            final java.util.Map<String, String> expected = new java.util.TreeMap<>();
            for (final org.apache.nifi.processor.Relationship r : ((org.apache.nifi.processor.Processor) component).getRelationships()) {
                expected.put(r.getName(), r.getDescription());
            }
            assertEquals(expected, rels, c + ": relationships");
            final org.apache.nifi.annotation.behavior.InputRequirement ir =
                    k.getAnnotation(org.apache.nifi.annotation.behavior.InputRequirement.class);
            assertEquals(ir.value().name(), text(x, "inputRequirement"), c);
        } else {
            assertTrue(children(child(x, "providedServiceAPIs"), "providedServiceAPI").stream()
                    .anyMatch(a -> text(a, "className").startsWith("io.pgcdc.nifi.services.")),
                    c + ": no provided service API");
        }
    }

    /** The additionalDetails pages are for components of the NAR and say something. */
    @Test
    void additionalDetailsBelongToComponents() throws Exception {
        final List<String> components = new ArrayList<>(services(PROCESSOR_SERVICES));
        components.addAll(services(CS_SERVICES));
        int pages = 0;
        try (JarFile jf = new JarFile(nar.toFile())) {
            for (final String e : narEntries) {
                if (e.startsWith(ADDITIONAL_DETAILS) && e.endsWith("/additionalDetails.md")) {
                    final String c = e.substring(ADDITIONAL_DETAILS.length(), e.length() - "/additionalDetails.md".length());
                    assertTrue(components.contains(c), e + " is not for a component of the NAR");
                    try (InputStream in = jf.getInputStream(jf.getEntry(e))) {
                        final String md = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                        assertTrue(md.startsWith("# " + c.substring(c.lastIndexOf('.') + 1)), e + " does not start with its title");
                    }
                    pages++;
                }
            }
        }
        assertTrue(pages >= 2, "additionalDetails pages: " + pages);
    }

    /**
     * readelf -d of the JNI library and of every library shipped with it: each NEEDED entry is shipped in
     * the NAR (listed before it) or is glibc's or OpenSSL 3's - all a glibc-based JRE image has.
     */
    @Test
    void everyNeededLibraryIsShippedOrGlibcOrOpenSsl3() throws Exception {
        final Path dir = Files.createTempDirectory("nar-needed");
        try {
            final List<String> deps = shippedDeps();
            final List<String> files = new ArrayList<>(deps);
            files.add("libpgcdc_jni.so");
            try (JarFile jf = new JarFile(nar.toFile())) {
                for (final String f : files) {
                    try (InputStream in = jf.getInputStream(jf.getEntry(NATIVE_DIR + f))) {
                        Files.write(dir.resolve(f), in.readAllBytes());
                    }
                }
            }
            final List<String> host = new ArrayList<>();
            for (int i = 0; i < files.size(); i++) {
                final String f = files.get(i);
                final List<String> needed = needed(dir.resolve(f));
                assertFalse(needed.isEmpty(), f + ": readelf shows no NEEDED entry at all");
                for (final String n : needed) {
                    assertFalse(n.contains("pgcdc"), f + " needs " + n + ": libpgcdc must be linked in statically");
                    assertFalse(n.startsWith("libprotobuf-c"), f + " needs " + n + ": protobuf-c must be linked in");
                    if (HOST_LIB.matcher(n).matches()) {
                        host.add(n);
                        continue;
                    }
                    final int at = deps.indexOf(n);
                    assertTrue(at >= 0 && at < i, f + " needs " + n + ", which is neither shipped before it nor "
                            + "a glibc or OpenSSL 3 library");
                }
            }
            System.err.println("NEEDED from the host: " + new java.util.TreeSet<>(host));
        } finally {
            try (var l = Files.list(dir)) {
                for (final Path f : l.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
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

    /* NiFi's NarUnpacker, directory mode: META-INF/bundled-dependencies/ -> NAR-INF/bundled-dependencies/. */
    static Path unpackToDirectory(final Path work) throws IOException {
        final Path deps = work.resolve("NAR-INF/bundled-dependencies");
        try (JarFile jf = new JarFile(nar.toFile())) {
            for (final java.util.Enumeration<java.util.jar.JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
                final java.util.jar.JarEntry e = en.nextElement();
                if (e.isDirectory() || !e.getName().startsWith("META-INF/bundled-dependencies/")) {
                    continue;
                }
                final Path to = deps.resolve(e.getName().substring("META-INF/bundled-dependencies/".length()));
                Files.createDirectories(to.getParent());
                try (InputStream in = jf.getInputStream(e)) {
                    Files.copy(in, to);
                }
            }
        }
        return deps;
    }

    /* NiFi's NarUnpacker, uber-jar mode (nifi.nar.unpack.uber.jar=true, Stateless NiFi): the bundled jars'
     * entries and the NAR's other non-META-INF-mapped files (the native ones, under their NAR names) in one jar. */
    static Path unpackToUberJar(final Path work) throws IOException {
        final Path uber = work.resolve("NAR-INF/bundled-dependencies/pgcdc.nar.unpacked.uber.jar");
        Files.createDirectories(uber.getParent());
        final java.util.Set<String> seen = new java.util.HashSet<>();
        try (JarFile jf = new JarFile(nar.toFile());
             java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(uber))) {
            for (final java.util.Enumeration<java.util.jar.JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
                final java.util.jar.JarEntry e = en.nextElement();
                if (e.isDirectory() || !e.getName().startsWith("META-INF/bundled-dependencies/")) {
                    continue;
                }
                try (InputStream in = jf.getInputStream(e)) {
                    if (e.getName().endsWith(".jar")) {
                        try (JarInputStream j = new JarInputStream(in)) {
                            for (ZipEntry je; (je = j.getNextEntry()) != null; ) {
                                if (!je.isDirectory() && !je.getName().startsWith("META-INF/") && seen.add(je.getName())) {
                                    out.putNextEntry(new ZipEntry(je.getName()));
                                    j.transferTo(out);
                                    out.closeEntry();
                                }
                            }
                        }
                    } else if (seen.add(e.getName())) {
                        out.putNextEntry(new ZipEntry(e.getName()));
                        in.transferTo(out);
                        out.closeEntry();
                    }
                }
            }
        }
        return uber;
    }

    /*
     * Runs NativeLoadProbe in a child JVM on the class path given, with no LD_LIBRARY_PATH. As root with
     * unshare(1), in a private mount namespace where the system's libpq and libprotobuf-c are replaced by
     * empty files, so only what the NAR ships can serve (a stock NiFi host has neither).
     */
    static String probe(final String classPath, final String libraryPath) throws Exception {
        final String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        final List<String> jvm = List.of(java, "-Djava.library.path=" + libraryPath, "-cp", classPath,
                "io.pgcdc.nifi.NativeLoadProbe");
        final List<String> cmd = new ArrayList<>();
        final boolean hide = "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"));
        if (hide) {
            final StringBuilder sh = new StringBuilder("set -e; for f in /usr/lib/x86_64-linux-gnu/libpq.so* "
                    + "/usr/lib/x86_64-linux-gnu/libprotobuf-c.so*; do [ -e \"$f\" ] || continue; "
                    + "mount --bind /dev/null \"$(readlink -f \"$f\")\"; done; exec");
            for (final String a : jvm) {
                sh.append(" '").append(a.replace("'", "'\\''")).append("'");
            }
            cmd.addAll(List.of("/usr/bin/unshare", "-m", "--propagation", "private", "sh", "-c", sh.toString()));
        } else {
            System.err.println("not root or no unshare: the system's libpq is not hidden from the child JVM");
            cmd.addAll(jvm);
        }
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("LD_LIBRARY_PATH");
        final Process p = pb.start();
        final String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", cmd) + "\n" + out);
        assertTrue(out.contains("LOADED"), out);
        return out;
    }

    @Test
    void loadsOnAHostWithoutLibpqWhenUnpackedToADirectory() throws Exception {
        final Path work = Files.createTempDirectory("nar-dir");
        try {
            final Path deps = unpackToDirectory(work);
            // NarClassLoader.findLibrary looks in native/ (here: java.library.path)
            final String out = probe(deps.resolve("pgcdc-nifi-processors.jar") + ":" + System.getenv("PGCDC_NIFI_TEST_CP"),
                    deps.resolve("native").toString());
            assertTrue(out.contains("MAPPED " + deps.resolve("native/libpq.so.5")), "libpq not from the NAR:\n" + out);
            assertFalse(out.contains("libprotobuf-c"), "libprotobuf-c mapped:\n" + out);
        } finally {
            deleteTree(work);
        }
    }

    @Test
    void loadsOnAHostWithoutLibpqWhenUnpackedToAnUberJar() throws Exception {
        final Path work = Files.createTempDirectory("nar-uber");
        try {
            final Path uber = unpackToUberJar(work);
            final String out = probe(uber + ":" + System.getenv("PGCDC_NIFI_TEST_CP"), work.resolve("no-such-dir").toString());
            assertTrue(out.matches("(?s).*MAPPED /tmp/pgcdc-jni-[^/]+/libpq\\.so\\.5.*"), "libpq not extracted from the jar:\n" + out);
        } finally {
            deleteTree(work);
        }
    }

    static void deleteTree(final Path p) throws IOException {
        try (var s = Files.walk(p)) {
            for (final Path f : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
