package org.tether.docs;

import io.smallrye.config.ConfigMappingInterface.Property;
import io.smallrye.config.ConfigMappings;
import org.tether.config.TetherConfig;

import javax.lang.model.element.Element;
import javax.lang.model.element.ElementKind;
import javax.lang.model.element.TypeElement;
import javax.lang.model.util.ElementFilter;
import javax.tools.DocumentationTool;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.StringWriter;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The configuration reference ({@code docs/configuration.md}), made from the code: the keys, their types and
 * defaults as SmallRye Config maps {@link TetherConfig} at the agent's start, and each key's description from the
 * Javadoc of its method, read by the JDK's own Javadoc tool.
 */
public final class ConfigReference {
    /** The mapping's interfaces, one per area: the root {@code TetherConfig} and the {@code *Config} it is made of. */
    static final Path SOURCES = Path.of("src/main/java/org/tether/config");

    /** One key of the reference. */
    public record Key(String name, String type, String defaultValue, String description) {
    }

    private ConfigReference() {
    }

    /** Every key, in the order of the sections then of the key names. */
    public static List<Key> keys() {
        Map<String, String> docs = javadoc();
        Map<String, Property> props = ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(
                TetherConfig.class, "tether"));
        List<Key> out = new ArrayList<>();
        for (var e : new TreeMap<>(props).entrySet()) {
            Property p = e.getValue();
            if (p.isDefaultMethod() || p.isGroup() || e.getKey().endsWith("[*]")) {
                continue; // a list's indexed form (key[0]) is the same key
            }
            Method m = p.getMethod();
            String doc = docs.getOrDefault(m.getDeclaringClass().getName().replace('$', '.') + "#" + m.getName(), "");
            out.add(new Key(e.getKey(), type(m.getGenericReturnType()),
                    p.hasDefaultValue() ? p.getDefaultValue() : p.isOptional() || p.isCollection() || p.isMap()
                            || m.getReturnType().getName().startsWith("java.util.Optional") ? null : "(required)",
                    doc));
        }
        out.sort(java.util.Comparator.comparing((Key k) -> section(k.name())).thenComparing(Key::name));
        return out;
    }

    /** The key's section: the group under {@code tether.}, or "" for the keys directly under it. */
    static String section(String key) {
        String[] parts = key.split("\\.");
        if (parts.length > 3 && parts[1].equals("storage")) {
            return "storage." + parts[2]; // the storage keys are many: one section per group
        }
        return parts.length > 2 ? parts[1] : "";
    }

    static String type(Type t) {
        if (t instanceof ParameterizedType pt) {
            String raw = ((Class<?>) pt.getRawType()).getSimpleName();
            Type[] args = pt.getActualTypeArguments();
            return switch (raw) {
                case "Optional" -> type(args[0]);
                case "List", "Set" -> "list of " + type(args[0]);
                case "Map" -> "map of " + type(args[1]);
                default -> raw;
            };
        }
        Class<?> c = (Class<?>) t;
        if (c.isEnum()) {
            return Arrays.stream(c.getEnumConstants()).map(x -> ((Enum<?>) x).name().toLowerCase(Locale.ROOT)
                    .replace('_', '-')).collect(Collectors.joining(" \\| "));
        }
        return switch (c.getSimpleName()) {
            case "OptionalInt", "Integer" -> "int";
            case "OptionalDouble", "Double" -> "double";
            case "OptionalLong", "Long" -> "long";
            case "Boolean" -> "boolean";
            case "Duration" -> "duration";
            case "Path" -> "path";
            case "URI" -> "URI";
            case "String" -> "string";
            default -> c.getSimpleName();
        };
    }

    /** The Javadoc of every method of the configuration interfaces, by {@code outer.Inner#method}. */
    static Map<String, String> javadoc() {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(SOURCES)) {
            return javadoc(files.filter(f -> f.getFileName().toString().matches("\\w+Config\\.java")).sorted()
                    .toList(), TetherConfig.class);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The Javadoc of every method and field (enum constants included) of the types in {@code source}, by
     * {@code outer.Inner#member}, one line of Markdown each; {@code compiled} is a class of it, for the class path.
     */
    static Map<String, String> javadoc(Path source, Class<?> compiled) {
        return javadoc(List.of(source), compiled);
    }

    /** {@link #javadoc(Path, Class)} of several sources read together. */
    static Map<String, String> javadoc(List<Path> sources, Class<?> compiled) {
        DocumentationTool tool = ToolProvider.getSystemDocumentationTool();
        try (StandardJavaFileManager files = tool.getStandardFileManager(null, null, null)) {
            StringWriter out = new StringWriter();
            Collector.found.clear();
            boolean ok = tool.getTask(out, files, null, Collector.class,
                    List.of("-classpath", where(io.smallrye.config.ConfigMapping.class) + java.io.File.pathSeparator
                            + where(compiled), "-quiet"),
                    files.getJavaFileObjectsFromPaths(sources)).call();
            if (!ok) {
                throw new IllegalStateException("javadoc failed on " + sources + ": " + out);
            }
            return new HashMap<>(Collector.found);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The jar or directory a class was loaded from (surefire's class path is a manifest-only jar). */
    private static String where(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The doclet the Javadoc tool runs: collects the doc comments, renders nothing. */
    public static final class Collector implements jdk.javadoc.doclet.Doclet {
        static final Map<String, String> found = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void init(Locale locale, jdk.javadoc.doclet.Reporter reporter) {
        }

        @Override
        public String getName() {
            return "config-reference";
        }

        @Override
        public Set<? extends Option> getSupportedOptions() {
            return Set.of();
        }

        @Override
        public javax.lang.model.SourceVersion getSupportedSourceVersion() {
            return javax.lang.model.SourceVersion.latest();
        }

        @Override
        public boolean run(jdk.javadoc.doclet.DocletEnvironment env) {
            for (TypeElement t : ElementFilter.typesIn(env.getIncludedElements())) {
                collect(env, t);
            }
            return true;
        }

        private static void collect(jdk.javadoc.doclet.DocletEnvironment env, TypeElement t) {
            List<Element> members = new ArrayList<>(ElementFilter.methodsIn(t.getEnclosedElements()));
            members.addAll(ElementFilter.fieldsIn(t.getEnclosedElements()));
            for (Element m : members) {
                String doc = env.getElementUtils().getDocComment(m);
                found.put(t.getQualifiedName() + "#" + m.getSimpleName(), doc == null ? "" : flatten(doc));
            }
            for (Element inner : t.getEnclosedElements()) {
                if (inner.getKind() == ElementKind.INTERFACE) {
                    collect(env, (TypeElement) inner);
                }
            }
        }
    }

    private static final Pattern INLINE = Pattern.compile("\\{@(code|link|linkplain|literal)\\s+([^}]*)}");

    /** A doc comment as one line of Markdown: its block tags dropped, {@code x} as `x`, HTML tags removed. */
    static String flatten(String doc) {
        String body = doc.split("\n\\s*@")[0];
        Matcher m = INLINE.matcher(body);
        StringBuilder b = new StringBuilder();
        int at = 0;
        while (m.find()) {
            b.append(prose(body.substring(at, m.start())));
            String text = m.group(2).strip().replaceAll("\\s+", " ");
            b.append(m.group(1).startsWith("link") ? text.replaceFirst("^#", "") : "`" + text + "`");
            at = m.end();
        }
        b.append(prose(body.substring(at)));
        return b.toString().replace("|", "\\|").replaceAll("\\s+", " ").strip();
    }

    /** Text outside inline tags: HTML tags (paragraphs) removed. */
    private static String prose(String text) {
        return text.replaceAll("<[^>]+>", " ");
    }

    /** The reference as Markdown. */
    public static String markdown(List<Key> keys) {
        StringBuilder b = new StringBuilder();
        b.append("# Configuration reference\n\n");
        b.append("Every `tether.*` key the agent reads (in `application.properties`, as `-Dtether...`, or as an environment\n");
        b.append("variable such as `TETHER_STATE_DIR`). Generated from `TetherConfig`, the `*Config` interfaces of\n");
        b.append("`org.tether.config` it is made of (one per area) and their Javadoc; do not edit: after a change there,\n");
        b.append("`mvn test -Pfast -Dtest=ConfigReferenceTest -Ddocs.write=true` writes it again, and\n");
        b.append("`ConfigReferenceTest` fails while this page and the code differ. `*` is a name the operator chooses (a\n");
        b.append("pool, a store, a peer); \"(required)\" has no default and stops the start when missing.\n");
        String section = null;
        for (Key k : keys) {
            String s = section(k.name());
            if (!s.equals(section)) {
                section = s;
                b.append("\n## ").append(s.isEmpty() ? "General" : "`tether." + s + ".*`").append("\n\n");
                b.append("| key | type | default | description |\n|---|---|---|---|\n");
            }
            b.append("| `").append(k.name()).append("` | ").append(k.type()).append(" | ")
                    .append(k.defaultValue() == null ? "" : k.defaultValue().equals("(required)") ? "(required)"
                            : "`" + k.defaultValue().replace("|", "\\|") + "`")
                    .append(" | ").append(k.description()).append(" |\n");
        }
        return b.toString();
    }

    public static void main(String[] args) {
        System.out.print(markdown(keys()));
    }
}
