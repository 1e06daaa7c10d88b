package io.pgcdc.nifi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pgcdc.nifi.testkit.Parameters;
import io.pgcdc.nifi.testkit.ProcessorRunner;
import io.pgcdc.nifi.testkit.Services;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.nifi.components.ConfigurableComponent;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Validates flow-templates/pgcdc-postgresql-connector.json as NiFi's "upload flow definition" would
 * see it: the document's shape, the parameter contexts (inherited ones exist, sensitive ones carry no
 * value, every #{...} resolves in the connector's context chain), every component type a class of the
 * NAR with the NAR's coordinates, every property one the component declares, controller-service
 * references of the right API, every relationship connected or auto-terminated, back pressure set;
 * then every component is validated with its own validators (native parameter parsers included) with
 * the walkthrough's values filled into the empty parameters.
 */
@SuppressWarnings("unchecked")
class FlowDefinitionTest {
    static final String CONNECTOR_CONTEXT = "PostgreSQL Connector";
    static final List<String> CONTEXTS = List.of("PostgreSQL Source Parameters", "PostgreSQL Destination Parameters",
            "PostgreSQL Ingestion Parameters");
    static final Pattern REF = Pattern.compile("#\\{([^}]*)\\}");

    static Map<String, Object> doc;
    static Map<String, Object> group;
    static Map<String, String> bundle = new HashMap<>();
    static Set<String> jarClasses = new HashSet<>();

    static Map<String, Object> map(final Object o) {
        assertTrue(o instanceof Map, "expected an object, got " + o);
        return (Map<String, Object>) o;
    }

    static List<Object> list(final Object o) {
        assertTrue(o instanceof List, "expected an array, got " + o);
        return (List<Object>) o;
    }

    @BeforeAll
    static void load() throws Exception {
        final Path p = Path.of(System.getenv("PGCDC_SOURCE_ROOT"), "flow-templates", "pgcdc-postgresql-connector.json");
        doc = map(MiniJson.parse(Files.readString(p, StandardCharsets.UTF_8)));
        group = map(doc.get("flowContents"));
        try (JarFile nar = new JarFile(System.getenv("PGCDC_NAR"))) {
            final Attributes a = nar.getManifest().getMainAttributes();
            bundle.put("group", a.getValue("Nar-Group"));
            bundle.put("artifact", a.getValue("Nar-Id"));
            bundle.put("version", a.getValue("Nar-Version"));
        }
        try (JarFile jar = new JarFile(System.getenv("PGCDC_NIFI_PROCESSORS_JAR"))) {
            jar.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class"))
                    .forEach(n -> jarClasses.add(n.substring(0, n.length() - 6).replace('/', '.')));
        }
    }

    @Test
    void documentShape() {
        assertEquals(Set.of("flowContents", "externalControllerServices", "parameterContexts", "parameterProviders",
                "flowEncodingVersion", "latest"), doc.keySet());
        assertEquals("1.0", doc.get("flowEncodingVersion"));
        assertTrue(map(doc.get("parameterProviders")).isEmpty());
        assertTrue(map(doc.get("externalControllerServices")).isEmpty());
        assertEquals("PROCESS_GROUP", group.get("componentType"));
        assertEquals(CONNECTOR_CONTEXT, group.get("parameterContextName"));
    }

    static Map<String, Map<String, Object>> contexts() {
        final Map<String, Map<String, Object>> m = new HashMap<>();
        for (final Map.Entry<String, Object> e : map(doc.get("parameterContexts")).entrySet()) {
            final Map<String, Object> c = map(e.getValue());
            assertEquals(e.getKey(), c.get("name"), "a parameter context is keyed by its name");
            m.put(e.getKey(), c);
        }
        return m;
    }

    /** The parameters visible from a context: its own first, then the inherited ones in order (NiFi's rule). */
    static Map<String, Map<String, Object>> chain(final String name, final Set<String> seen) {
        final Map<String, Map<String, Object>> ctxs = contexts();
        final Map<String, Object> c = ctxs.get(name);
        assertNotNull(c, "parameter context '" + name + "' does not exist");
        assertTrue(seen.add(name), "parameter context inheritance cycle at " + name);
        final Map<String, Map<String, Object>> params = new HashMap<>();
        for (final Object p : list(c.get("parameters"))) {
            final Map<String, Object> pm = map(p);
            assertTrue(params.put((String) pm.get("name"), pm) == null, "parameter " + pm.get("name") + " twice in " + name);
        }
        for (final Object inh : list(c.get("inheritedParameterContexts"))) {
            chain((String) inh, seen).forEach(params::putIfAbsent);
        }
        return params;
    }

    @Test
    void parameterContexts() {
        final Map<String, Map<String, Object>> ctxs = contexts();
        for (final String c : CONTEXTS) {
            assertTrue(ctxs.containsKey(c), "missing parameter context " + c);
        }
        assertEquals(CONTEXTS, list(ctxs.get(CONNECTOR_CONTEXT).get("inheritedParameterContexts")).stream()
                .sorted((a, b) -> CONTEXTS.indexOf(a) - CONTEXTS.indexOf(b)).toList());
        for (final Map<String, Object> c : ctxs.values()) {
            for (final Object inh : list(c.get("inheritedParameterContexts"))) {
                assertTrue(ctxs.containsKey(inh), c.get("name") + " inherits the missing context " + inh);
            }
            for (final Object p : list(c.get("parameters"))) {
                final Map<String, Object> pm = map(p);
                if (Boolean.TRUE.equals(pm.get("sensitive"))) {
                    assertTrue(pm.get("value") == null, "sensitive parameter " + pm.get("name") + " carries a value");
                }
                assertFalse(((String) pm.get("description")).isBlank(), "parameter " + pm.get("name") + " has no description");
            }
        }
        final Map<String, Map<String, Object>> all = chain(CONNECTOR_CONTEXT, new HashSet<>());
        for (final String s : List.of("PostgreSQL Password", "Destination Password")) {
            assertEquals(Boolean.TRUE, all.get(s).get("sensitive"), s + " must be sensitive");
        }
    }

    static List<Map<String, Object>> components(final String key) {
        return list(group.get(key)).stream().map(FlowDefinitionTest::map).toList();
    }

    static Map<String, Map<String, Object>> byId() {
        final Map<String, Map<String, Object>> m = new HashMap<>();
        for (final String k : List.of("processors", "controllerServices", "funnels", "connections")) {
            for (final Map<String, Object> c : components(k)) {
                assertTrue(m.put((String) c.get("identifier"), c) == null, "duplicate identifier " + c.get("identifier"));
            }
        }
        return m;
    }

    static ConfigurableComponent instance(final Map<String, Object> c) throws Exception {
        final String type = (String) c.get("type");
        assertTrue(jarClasses.contains(type), type + " is not a class of the NAR's processors jar");
        assertEquals(bundle, map(c.get("bundle")), "bundle of " + c.get("name") + " differs from the NAR's coordinates");
        return (ConfigurableComponent) Class.forName(type).getConstructor().newInstance();
    }

    @Test
    void everyReferenceResolvesAndEveryPropertyIsDeclared() throws Exception {
        final Map<String, Map<String, Object>> params = chain(CONNECTOR_CONTEXT, new HashSet<>());
        final Map<String, Map<String, Object>> ids = byId();
        final List<String> problems = new ArrayList<>();
        for (final String kind : List.of("processors", "controllerServices")) {
            for (final Map<String, Object> c : components(kind)) {
                final ConfigurableComponent comp = instance(c);
                final Map<String, PropertyDescriptor> declared = new HashMap<>();
                comp.getPropertyDescriptors().forEach(d -> declared.put(d.getName(), d));
                final Map<String, Object> descriptors = map(c.get("propertyDescriptors"));
                for (final Map.Entry<String, Object> p : map(c.get("properties")).entrySet()) {
                    final String where = c.get("name") + " / " + p.getKey();
                    final PropertyDescriptor d = declared.get(p.getKey());
                    if (d == null) {
                        problems.add(where + ": not a property of " + c.get("type"));
                        continue;
                    }
                    final Map<String, Object> vd = map(descriptors.get(p.getKey()));
                    assertEquals(d.isSensitive(), vd.get("sensitive"), where + ": sensitive flag");
                    assertEquals(d.getControllerServiceDefinition() != null, vd.get("identifiesControllerService"), where);
                    final String v = (String) p.getValue();
                    final Matcher m = REF.matcher(v == null ? "" : v);
                    while (m.find()) {
                        if (!params.containsKey(m.group(1))) {
                            problems.add(where + ": #{" + m.group(1) + "} is not a parameter of " + CONNECTOR_CONTEXT);
                        }
                    }
                    if (params.containsKey(p.getKey()) && !("#{" + p.getKey() + "}").equals(v)) {
                        problems.add(where + ": comes from the parameter of that name, so must be #{" + p.getKey() + "}");
                    }
                    if (d.isSensitive() && (v == null || !REF.matcher(v).matches())) {
                        problems.add(where + ": a sensitive property must reference a sensitive parameter");
                    }
                    if (d.getControllerServiceDefinition() != null) {
                        final Map<String, Object> svc = ids.get(v);
                        if (svc == null || !"CONTROLLER_SERVICE".equals(svc.get("componentType"))) {
                            problems.add(where + ": references no controller service of the flow");
                        } else if (!d.getControllerServiceDefinition().isAssignableFrom(Class.forName((String) svc.get("type")))) {
                            problems.add(where + ": " + svc.get("type") + " is not a " + d.getControllerServiceDefinition().getName());
                        }
                    }
                }
                for (final PropertyDescriptor d : declared.values()) {
                    if (d.isRequired() && d.getDefaultValue() == null && !map(c.get("properties")).containsKey(d.getName())) {
                        problems.add(c.get("name") + ": required property " + d.getName() + " is not set");
                    }
                }
                if (comp instanceof ControllerService) {
                    for (final Object api : list(c.get("controllerServiceApis"))) {
                        final Map<String, Object> a = map(api);
                        final Class<?> k = Class.forName((String) a.get("type"));
                        assertTrue(k.isInterface() && k.isInstance(comp), a.get("type") + " is not an API of " + c.get("type"));
                        assertEquals(bundle, map(a.get("bundle")));
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
    }

    @Test
    void relationshipsAreConnectedOrAutoTerminatedWithBackPressure() throws Exception {
        final Map<String, Map<String, Object>> ids = byId();
        final Map<String, Set<String>> connected = new HashMap<>();
        for (final Map<String, Object> cn : components("connections")) {
            final Map<String, Object> src = map(cn.get("source"));
            final Map<String, Object> dst = map(cn.get("destination"));
            assertNotNull(ids.get(src.get("id")), "connection from a missing component");
            assertNotNull(ids.get(dst.get("id")), "connection to a missing component");
            assertEquals(ids.get(dst.get("id")).get("componentType"), dst.get("type"));
            assertTrue(((BigDecimal) cn.get("backPressureObjectThreshold")).longValue() > 0, "no object back pressure");
            assertTrue(((String) cn.get("backPressureDataSizeThreshold")).matches("\\d+ (B|KB|MB|GB)"), "no size back pressure");
            for (final Object r : list(cn.get("selectedRelationships"))) {
                connected.computeIfAbsent((String) src.get("id"), k -> new HashSet<>()).add((String) r);
            }
        }
        for (final Map<String, Object> p : components("processors")) {
            final Processor proc = (Processor) instance(p);
            final Set<String> rels = new LinkedHashSet<>();
            for (final Relationship r : proc.getRelationships()) {
                rels.add(r.getName());
            }
            final Set<String> handled = new HashSet<>(connected.getOrDefault((String) p.get("identifier"), Set.of()));
            for (final Object a : list(p.get("autoTerminatedRelationships"))) {
                assertTrue(rels.contains(a), p.get("name") + " auto-terminates unknown relationship " + a);
                assertTrue(handled.add((String) a), p.get("name") + ": " + a + " both connected and auto-terminated");
            }
            for (final String h : handled) {
                assertTrue(rels.contains(h), p.get("name") + " has no relationship " + h);
            }
            assertEquals(rels, handled, p.get("name") + ": every relationship must be connected or auto-terminated");
            final boolean primary = proc.getClass().isAnnotationPresent(org.apache.nifi.annotation.behavior.PrimaryNodeOnly.class);
            if (primary) {
                assertEquals("PRIMARY", p.get("executionNode"), p.get("name") + " is @PrimaryNodeOnly");
            }
            if (proc.getClass().isAnnotationPresent(org.apache.nifi.annotation.behavior.TriggerSerially.class)) {
                assertEquals(BigDecimal.ONE, p.get("concurrentlySchedulableTaskCount"), p.get("name") + " is @TriggerSerially");
            }
        }
    }

    /** The walkthrough's values for the parameters left empty in the definition. */
    static Parameters sampleParameters() {
        final Parameters ps = new Parameters();
        for (final Map.Entry<String, Map<String, Object>> e : chain(CONNECTOR_CONTEXT, new HashSet<>()).entrySet()) {
            ps.set(e.getKey(), (String) e.getValue().get("value"));
        }
        ps.set("PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:5432/appdb");
        ps.set("PostgreSQL Username", "openflow_user");
        ps.set("PostgreSQL Password", "secret");
        ps.set("Publication Name", "openflow_pub");
        ps.set("Destination Connection URL", "jdbc:postgresql://127.0.0.1:5432/appdb_replica");
        ps.set("Destination Username", "postgres");
        ps.set("Included Table Names", "app.customers, app.products, app.orders");
        return ps;
    }

    /**
     * As a NiFi user uploads the flow and fills only the parameters that have no usable default: both
     * connection URLs, the publication and the tables. The others keep what the definition ships (NiFi keeps
     * a parameter whose value is "" as "", so an optional parameter must ship without a value).
     */
    static Parameters requiredParameters() {
        final Parameters ps = new Parameters();
        for (final Map.Entry<String, Map<String, Object>> e : chain(CONNECTOR_CONTEXT, new HashSet<>()).entrySet()) {
            ps.set(e.getKey(), (String) e.getValue().get("value"));
        }
        // the roles in the URLs (PostgreSQL Username / Destination Username left empty)
        ps.set("PostgreSQL Connection URL", "jdbc:postgresql://127.0.0.1:5432/appdb?user=openflow_user");
        ps.set("Publication Name", "openflow_pub");
        ps.set("Destination Connection URL", "postgresql://postgres@127.0.0.1:5432/appdb_replica");
        ps.set("Included Table Names", "app.customers, app.products, app.orders");
        return ps;
    }

    @Test
    void everyComponentIsValidWithOnlyTheRequiredParametersSet() throws Exception {
        assertAllValid(requiredParameters());
    }

    @Test
    void everyComponentIsValidWithTheWalkthroughValues() throws Exception {
        assertAllValid(sampleParameters());
    }

    /** Every parameter the definition ships with "" would be a set, empty value in NiFi: none may. */
    @Test
    void noParameterShipsAnEmptyValue() {
        for (final Map.Entry<String, Map<String, Object>> e : chain(CONNECTOR_CONTEXT, new HashSet<>()).entrySet()) {
            assertFalse("".equals(e.getValue().get("value")), "parameter " + e.getKey() + " ships the value \"\": "
                    + "NiFi keeps it as an empty string; ship it without a value");
        }
    }

    static void assertAllValid(final Parameters parameters) throws Exception {
        final Services services = new Services(parameters);
        for (final Map<String, Object> c : components("controllerServices")) {
            final Map<String, String> props = new HashMap<>();
            map(c.get("properties")).forEach((k, v) -> props.put(k, (String) v));
            services.add((String) c.get("identifier"), (ControllerService) instance(c), props);
        }
        // Enabling validates each service (the native parsers check every parameter value) and the
        // Table State Store checks the three groups together.
        services.enableAll();
        try {
            for (final Map<String, Object> p : components("processors")) {
                final ProcessorRunner r = new ProcessorRunner((Processor) instance(p), services);
                map(p.get("properties")).forEach((k, v) -> r.property(k, (String) v));
                final Collection<ValidationResult> errors = r.validate();
                if (!errors.isEmpty()) {
                    fail(p.get("name") + " is invalid: " + errors);
                }
            }
        } finally {
            services.disableAll();
        }
    }

    @Test
    void anInvalidParameterValueIsReportedWithTheNativeMessage() throws Exception {
        final Parameters ps = sampleParameters();
        ps.set("Column Filter JSON", "[{\"table\": ");
        final Services services = new Services(ps);
        final Map<String, Object> store = components("controllerServices").stream()
                .filter(c -> c.get("name").equals("Table State Store")).findFirst().orElseThrow();
        final Map<String, String> props = new HashMap<>();
        map(store.get("properties")).forEach((k, v) -> props.put(k, (String) v));
        services.add("store", (ControllerService) instance(store), props);
        final Collection<ValidationResult> errors = services.validate("store");
        final ValidationResult r = errors.stream().filter(e -> "Column Filter JSON".equals(e.getSubject()))
                .findFirst().orElseThrow(() -> new AssertionError("Column Filter JSON not reported: " + errors));
        assertFalse(r.isValid());
        assertTrue(r.getExplanation().contains("Column Filter JSON"), r.getExplanation());
    }
}
