package io.pgcdc.nifi.tools;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigurableComponent;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * Build-time tool (never packaged): writes the NAR's {@code META-INF/docs/extension-manifest.xml}, the file
 * NiFi reads for the components' usage pages ({@code StandardRuntimeManifestService}), as
 * nifi-nar-maven-plugin writes it: the element names of NiFi's nifi-extension-manifest-model (JAXB, field
 * order). Everything comes from the components themselves: the classes named in the processors jar's
 * {@code META-INF/services} files, their annotations, property descriptors and relationships.
 *
 * <pre>java -cp tools.jar:nifi-api.jar:processors.jar io.pgcdc.nifi.tools.ExtensionManifestWriter
 *      OUT.xml SYSTEM_API_VERSION NAR_GROUP NAR_ID NAR_VERSION</pre>
 */
public final class ExtensionManifestWriter {
    static final String PROCESSOR_SERVICES = "META-INF/services/org.apache.nifi.processor.Processor";
    static final String CS_SERVICES = "META-INF/services/org.apache.nifi.controller.ControllerService";

    private final Document doc;
    private final String group;
    private final String id;
    private final String version;

    private ExtensionManifestWriter(final Document doc, final String group, final String id, final String version) {
        this.doc = doc;
        this.group = group;
        this.id = id;
        this.version = version;
    }

    public static void main(final String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: ExtensionManifestWriter OUT.xml SYSTEM_API_VERSION NAR_GROUP NAR_ID NAR_VERSION");
            System.exit(2);
        }
        final Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
        final ExtensionManifestWriter w = new ExtensionManifestWriter(doc, args[2], args[3], args[4]);
        final Element root = doc.createElement("extensionManifest");
        doc.appendChild(root);
        w.text(root, "groupId", args[2]);
        w.text(root, "artifactId", args[3]);
        w.text(root, "version", args[4]);
        w.text(root, "systemApiVersion", args[1]);
        final Element extensions = w.child(root, "extensions");
        for (final String c : services(PROCESSOR_SERVICES)) {
            w.extension(extensions, Class.forName(c), "PROCESSOR");
        }
        for (final String c : services(CS_SERVICES)) {
            w.extension(extensions, Class.forName(c), "CONTROLLER_SERVICE");
        }
        final Transformer t = TransformerFactory.newInstance().newTransformer();
        t.setOutputProperty(OutputKeys.INDENT, "yes");
        t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
        t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "4");
        final Path out = Path.of(args[0]);
        final Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        t.transform(new DOMSource(doc), new StreamResult(tmp.toFile()));
        Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** The class names of a services file of the processors jar (on the class path), comments dropped. */
    static List<String> services(final String resource) throws IOException {
        try (InputStream in = ExtensionManifestWriter.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException(resource + " not found on the class path: give the processors jar");
            }
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

    private void extension(final Element parent, final Class<?> k, final String type) throws Exception {
        final Element e = child(parent, "extension");
        text(e, "name", k.getName());
        text(e, "type", type);
        final CapabilityDescription cd = k.getAnnotation(CapabilityDescription.class);
        text(e, "description", cd == null ? "" : cd.value());
        final Element tags = child(e, "tags");
        final Tags tg = k.getAnnotation(Tags.class);
        if (tg != null) {
            for (final String t : tg.value()) {
                text(tags, "tag", t);
            }
        }
        // Descriptors and relationships as the component reports them (a fresh instance, not initialised:
        // ours build them in field initialisers, as NiFi's documentation writer expects).
        final ConfigurableComponent component = (ConfigurableComponent) k.getConstructor().newInstance();
        final Element props = child(e, "properties");
        for (final PropertyDescriptor d : component.getPropertyDescriptors()) {
            property(props, d);
        }
        if (component instanceof Processor) {
            final Element rels = child(e, "relationships");
            final List<Relationship> sorted = new ArrayList<>(((Processor) component).getRelationships());
            sorted.sort(Comparator.comparing(Relationship::getName));
            for (final Relationship r : sorted) {
                final Element re = child(rels, "relationship");
                text(re, "name", r.getName());
                text(re, "description", r.getDescription());
                text(re, "autoTerminated", Boolean.toString(r.isAutoTerminated()));
            }
        }
        attributes(e, "readsAttributes", "readsAttribute", readsAttributes(k));
        attributes(e, "writesAttributes", "writesAttribute", writesAttributes(k));
        final Stateful st = k.getAnnotation(Stateful.class);
        if (st != null) {
            final Element s = child(e, "stateful");
            text(s, "description", st.description());
            final Element scopes = child(s, "scopes");
            for (final Scope sc : st.scopes()) {
                text(scopes, "scope", sc.name());
            }
        }
        final InputRequirement ir = k.getAnnotation(InputRequirement.class);
        if (ir != null) {
            text(e, "inputRequirement", ir.value().name());
        }
        final SeeAlso see = k.getAnnotation(SeeAlso.class);
        if (see != null) {
            final Element sa = child(e, "seeAlso");
            for (final Class<?> c : see.value()) {
                text(sa, "see", c.getName());
            }
            for (final String c : see.classNames()) {
                text(sa, "see", c);
            }
        }
        if (component instanceof ControllerService) {
            final Element apis = child(e, "providedServiceAPIs");
            for (final Class<?> api : serviceApis(k)) {
                final Element a = child(apis, "providedServiceAPI");
                coordinates(a, api);
            }
        }
        text(e, "triggerSerially", Boolean.toString(k.isAnnotationPresent(TriggerSerially.class)));
        text(e, "primaryNodeOnly", Boolean.toString(k.isAnnotationPresent(PrimaryNodeOnly.class)));
    }

    private void property(final Element props, final PropertyDescriptor d) {
        final Element p = child(props, "property");
        text(p, "name", d.getName());
        text(p, "displayName", d.getDisplayName());
        text(p, "description", d.getDescription());
        if (d.getDefaultValue() != null) {
            text(p, "defaultValue", d.getDefaultValue());
        }
        if (d.getControllerServiceDefinition() != null) {
            coordinates(child(p, "controllerServiceDefinition"), d.getControllerServiceDefinition());
        }
        if (d.getAllowableValues() != null && !d.getAllowableValues().isEmpty()) {
            final Element avs = child(p, "allowableValues");
            for (final AllowableValue v : d.getAllowableValues()) {
                final Element av = child(avs, "allowableValue");
                text(av, "value", v.getValue());
                text(av, "displayName", v.getDisplayName());
                text(av, "description", v.getDescription());
            }
        }
        text(p, "required", Boolean.toString(d.isRequired()));
        text(p, "sensitive", Boolean.toString(d.isSensitive()));
        final ExpressionLanguageScope el = d.getExpressionLanguageScope();
        final boolean elSupported = el != null && el != ExpressionLanguageScope.NONE;
        text(p, "expressionLanguageSupported", Boolean.toString(elSupported));
        text(p, "expressionLanguageScope", el == null ? ExpressionLanguageScope.NONE.name() : el.name());
        text(p, "dynamicallyModifiesClasspath", "false");
        text(p, "dynamic", Boolean.toString(d.isDynamic()));
    }

    /** A controller service API of this NAR (all of ours are): its class and the NAR's coordinates. */
    private void coordinates(final Element e, final Class<?> api) {
        text(e, "className", api.getName());
        text(e, "groupId", group);
        text(e, "artifactId", id);
        text(e, "version", version);
    }

    /** The ControllerService sub-interfaces a service implements (what a property may reference). */
    private static Set<Class<?>> serviceApis(final Class<?> k) {
        final Set<Class<?>> apis = new LinkedHashSet<>();
        for (Class<?> c = k; c != null; c = c.getSuperclass()) {
            for (final Class<?> i : c.getInterfaces()) {
                if (i != ControllerService.class && ControllerService.class.isAssignableFrom(i)) {
                    apis.add(i);
                }
            }
        }
        return apis;
    }

    private static List<String[]> readsAttributes(final Class<?> k) {
        final List<ReadsAttribute> all = new ArrayList<>(Arrays.asList(k.getAnnotationsByType(ReadsAttribute.class)));
        final ReadsAttributes many = k.getAnnotation(ReadsAttributes.class);
        if (many != null) {
            for (final ReadsAttribute a : many.value()) {
                if (!all.contains(a)) {
                    all.add(a);
                }
            }
        }
        final List<String[]> out = new ArrayList<>();
        for (final ReadsAttribute a : all) {
            out.add(new String[] {a.attribute(), a.description()});
        }
        return out;
    }

    private static List<String[]> writesAttributes(final Class<?> k) {
        final List<WritesAttribute> all = new ArrayList<>(Arrays.asList(k.getAnnotationsByType(WritesAttribute.class)));
        final WritesAttributes many = k.getAnnotation(WritesAttributes.class);
        if (many != null) {
            for (final WritesAttribute a : many.value()) {
                if (!all.contains(a)) {
                    all.add(a);
                }
            }
        }
        final List<String[]> out = new ArrayList<>();
        for (final WritesAttribute a : all) {
            out.add(new String[] {a.attribute(), a.description()});
        }
        return out;
    }

    private void attributes(final Element e, final String wrapper, final String name, final List<String[]> attrs) {
        if (attrs.isEmpty()) {
            return;
        }
        final Element w = child(e, wrapper);
        for (final String[] a : attrs) {
            final Element x = child(w, name);
            text(x, "name", a[0]);
            text(x, "description", a[1]);
        }
    }

    private Element child(final Element parent, final String name) {
        final Element e = doc.createElement(name);
        parent.appendChild(e);
        return e;
    }

    private void text(final Element parent, final String name, final String value) {
        child(parent, name).setTextContent(value == null ? "" : value);
    }
}
