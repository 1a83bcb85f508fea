package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.tether.openstack.GlanceClient;
import org.tether.config.TetherConfig;
import org.tether.config.ImagesConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where image bytes come from: Glance (its record says what they must be) or a URL an operator allowed
 * ({@code tether.storage.images.url-hosts}, {@code file-dir}); a redirect is followed only to an allowed host.
 */
@ApplicationScoped
public class ImageSources {
    /** Glance's own fields; every other top-level string is one of the image's properties. */
    private static final Set<String> CORE = Set.of("id", "name", "status", "visibility", "protected", "checksum",
            "os_hash_algo", "os_hash_value", "owner", "size", "virtual_size", "min_ram", "min_disk", "disk_format",
            "container_format", "created_at", "updated_at", "tags", "self", "file", "schema", "direct_url",
            "locations", "os_hidden", "stores");
    private static final Pattern PROPERTY = Pattern.compile("[A-Za-z0-9_:.-]{1,255}");
    private static final int MAX_PROPERTIES = 128;
    private static final int MAX_REDIRECTS = 5;

    /** An open download: the bytes, and their length when the source declared one. */
    public record Opened(InputStream data, Long length) {
    }

    private final GlanceClient glance;
    private final ImagesConfig config;
    private final HttpClient http;

    @Inject
    public ImageSources(GlanceClient glance, TetherConfig config) {
        this.glance = glance;
        this.config = config.storage().images();
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(java.time.Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER);
        this.config.caFile().ifPresent(ca -> b.sslContext(org.tether.openstack.Tls.trusting(ca)));
        this.http = b.build();
    }

    public ImageMeta describe(ImageRequest request) {
        if (request instanceof ImageRequest.Glance g) {
            return fromGlance(glance.image(g.id()));
        }
        return fromUrl((ImageRequest.Url) request);
    }

    public Opened open(ImageRequest request, ImageMeta meta) {
        if (request instanceof ImageRequest.Glance g) {
            return new Opened(glance.data(g.id()), meta.size());
        }
        URI url = ((ImageRequest.Url) request).url();
        return "file".equalsIgnoreCase(url.getScheme()) ? openFile(url) : openHttp(url);
    }

    static ImageMeta fromGlance(JsonNode image) {
        String id = image.path("id").asText();
        String status = image.path("status").asText("");
        if (!status.equals("active")) {
            throw new TetherException(ErrorCode.IMAGE_NOT_ACTIVE, "source.image.glance_id", "Glance image " + id
                    + " is " + (status.isEmpty() ? "of no status" : status) + ", not active");
        }
        String diskFormat = image.path("disk_format").asText("");
        ImageFormat format = ImageFormat.ofGlanceName(diskFormat).orElseThrow(() -> new TetherException(
                ErrorCode.IMAGE_FORMAT_MISMATCH, "source.image.glance_id", "Glance image " + id + " has disk_format "
                + (diskFormat.isEmpty() ? "none" : diskFormat) + "; a volume is made from raw, qcow2, vmdk, vhd, "
                + "vhdx, vdi or iso"));
        String container = image.path("container_format").asText("bare");
        if (!container.equals("bare")) {
            throw new TetherException(ErrorCode.IMAGE_FORMAT_MISMATCH, "source.image.glance_id", "Glance image "
                    + id + " has container_format " + container + "; only bare images become volumes");
        }
        Map<String, String> props = new LinkedHashMap<>();
        image.fields().forEachRemaining(e -> {
            if (!CORE.contains(e.getKey()) && e.getValue().isTextual() && PROPERTY.matcher(e.getKey()).matches()
                    && e.getValue().asText().length() <= 255 && props.size() < MAX_PROPERTIES) {
                props.put(e.getKey(), e.getValue().asText());
            }
        });
        return new ImageMeta(id, text(image, "name"), format, container, number(image, "size"),
                number(image, "virtual_size"), text(image, "os_hash_algo"), text(image, "os_hash_value"),
                text(image, "checksum"), image.path("min_disk").asInt(0), image.path("min_ram").asInt(0), props,
                locations(image));
    }

    /** {@code direct_url} and every {@code locations[].url}, once each, in that order. */
    private static List<String> locations(JsonNode image) {
        java.util.LinkedHashSet<String> urls = new java.util.LinkedHashSet<>();
        if (image.path("direct_url").isTextual()) {
            urls.add(image.path("direct_url").asText());
        }
        image.path("locations").forEach(l -> {
            if (l.path("url").isTextual()) {
                urls.add(l.path("url").asText());
            }
        });
        return List.copyOf(urls);
    }

    private ImageMeta fromUrl(ImageRequest.Url u) {
        URI url = u.url();
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "http", "https" -> requireAllowedHost(url);
            case "file" -> allowedFile(url);
            default -> throw TetherException.invalid("source.image.url", "an image URL is http, https or file");
        }
        String path = url.getPath() == null ? "" : url.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        String shown = scheme + "://" + (url.getHost() == null ? "" : url.getHost())
                + (url.getPort() < 0 ? "" : ":" + url.getPort()) + path; // never the query: it may hold a token
        return new ImageMeta(shown, name.isEmpty() ? null : name, u.diskFormat(), "bare", null, null,
                u.sha256() == null ? null : "sha256", u.sha256(), null, 0, 0, Map.of(), List.of());
    }

    private void requireAllowedHost(URI url) {
        List<String> hosts = config.urlHosts().orElse(List.of());
        String host = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
        if (hosts.stream().noneMatch(h -> h.equalsIgnoreCase(host))) {
            throw TetherException.invalid("source.image.url", "image host " + (host.isEmpty() ? "(none)" : host)
                    + " is not in tether.storage.images.url-hosts");
        }
    }

    /** A file URL must resolve (symbolic links followed) to a regular file under the configured directory. */
    private Path allowedFile(URI url) {
        Path dir = config.fileDir().orElseThrow(() -> TetherException.invalid("source.image.url",
                "file URLs need tether.storage.images.file-dir"));
        try {
            Path real = Path.of(url).toRealPath();
            if (!real.startsWith(dir.toRealPath()) || !Files.isRegularFile(real)) {
                throw TetherException.invalid("source.image.url", "a file URL must name a file under " + dir);
            }
            return real;
        } catch (IOException | IllegalArgumentException e) {
            throw new TetherException(ErrorCode.IMAGE_NOT_FOUND, "source.image.url", "no image file at "
                    + url.getPath());
        }
    }

    private Opened openFile(URI url) {
        Path file = allowedFile(url);
        try {
            return new Opened(Files.newInputStream(file), Files.size(file));
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "cannot read " + url.getPath() + ": "
                    + e.getMessage());
        }
    }

    private Opened openHttp(URI start) {
        URI url = start;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            requireAllowedHost(url);
            HttpResponse<InputStream> resp = send(url);
            int status = resp.statusCode();
            if (status == 200) {
                Long length = resp.headers().firstValueAsLong("Content-Length").stream().boxed().findFirst()
                        .orElse(null);
                return new Opened(resp.body(), length);
            }
            close(resp);
            Optional<String> location = resp.headers().firstValue("Location");
            if (status / 100 == 3 && location.isPresent()) {
                url = url.resolve(location.get());
                continue;
            }
            throw new TetherException(status == 404 ? ErrorCode.IMAGE_NOT_FOUND : ErrorCode.IMAGE_DOWNLOAD_FAILED,
                    "source.image.url", "image URL answered " + status);
        }
        throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "source.image.url", "more than " + MAX_REDIRECTS
                + " redirects");
    }

    private HttpResponse<InputStream> send(URI url) {
        try {
            return http.send(HttpRequest.newBuilder(url).timeout(java.time.Duration.ofSeconds(60))
                    .header("User-Agent", "tether-agent").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "image URL host " + url.getHost()
                    + " failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, "image download interrupted");
        }
    }

    private static void close(HttpResponse<InputStream> resp) {
        try {
            resp.body().close();
        } catch (IOException e) {
            // dropped connection; nothing depends on it
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() && !v.asText().isEmpty() ? v.asText() : null;
    }

    private static Long number(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.canConvertToLong() ? v.asLong() : null;
    }
}
