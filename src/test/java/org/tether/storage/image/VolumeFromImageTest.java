package org.tether.storage.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.tether.openstack.OpenStackStubs;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Volumes from images through the API, with WireMock as Keystone and Glance, the real qemu-img making and
 * converting the images, and the file backend. Every refusal leaves no volume, no cache entry, no scratch file.
 */
@QuarkusTest
@TestProfile(VolumeFromImageTest.WithGlance.class)
class VolumeFromImageTest {
    static WireMockServer openstack;
    static final Path PASSWORD = Path.of("target/test-glance-password").toAbsolutePath();
    static final Path SCRATCH = Path.of("target/test-image-scratch").toAbsolutePath();
    static final Path IMAGES = Path.of("target/test-image-files").toAbsolutePath();
    static final Path FILES = Path.of("target/test-files").toAbsolutePath();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    public static class WithGlance implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            if (openstack == null) {
                openstack = OpenStackStubs.start();
            }
            try {
                Files.createDirectories(IMAGES);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Map<String, String> config = new java.util.HashMap<>(OpenStackStubs.credentials(openstack, PASSWORD));
            config.putAll(Map.ofEntries(Map.entry("tether.storage.images.scratch-dir", SCRATCH.toString()),
                    Map.entry("tether.storage.images.scratch-reserve-mb", "16"),
                    Map.entry("tether.storage.images.file-dir", IMAGES.toString()),
                    Map.entry("tether.storage.images.url-hosts", "127.0.0.1"),
                    Map.entry("tether.storage.images.cache.max-count", "2")));
            return config;
        }
    }

    @BeforeEach
    void stubs() {
        stubKeystone();
    }

    static void stubKeystone() {
        openstack.resetAll();
        openstack.stubFor(OpenStackStubs.keystone().willReturn(
                OpenStackStubs.token(openstack, "svc-" + UUID.randomUUID(), Instant.now().plus(Duration.ofHours(1)))));
    }

    @Test
    void aGlanceQcow2BecomesABootableVolumeAndTheSecondFromItComesFromTheCache() throws Exception {
        byte[] disk = disk(24 * MIB, 11);
        UUID image = glanceImage("qcow2", convert(disk, "qcow2"), Map.of("hw_disk_bus", "scsi", "os_distro", "debian"),
                null);

        UUID first = UUID.randomUUID();
        JsonNode done = createFromImage(first, 1, "{\"glance_id\": \"" + image + "\"}", "succeeded");
        assertThat(done.get("status").asInt()).isEqualTo(201);
        JsonNode vol = JSON.readTree(given().get("/v1/volumes/" + first).then().statusCode(200).extract().asString());
        assertThat(vol.get("state").asText()).isEqualTo("available");
        assertThat(vol.get("bootable").asBoolean()).isTrue();
        JsonNode meta = vol.get("volume_image_metadata");
        assertThat(meta.get("image_id").asText()).isEqualTo(image.toString());
        assertThat(meta.get("disk_format").asText()).isEqualTo("qcow2");
        assertThat(meta.get("container_format").asText()).isEqualTo("bare");
        assertThat(meta.get("hw_disk_bus").asText()).isEqualTo("scsi");
        assertThat(meta.get("os_distro").asText()).isEqualTo("debian");
        assertThat(meta.has("os_hash_value")).isFalse();
        assertVolumeHolds(first, disk, 1L << 30);

        UUID second = UUID.randomUUID();
        createFromImage(second, 2, "{\"glance_id\": \"" + image + "\"}", "succeeded");
        assertVolumeHolds(second, disk, 2L << 30);
        openstack.verify(1, getRequestedFor(urlEqualTo("/glance/v2/images/" + image + "/file")));
        JsonNode listed = JSON.readTree(given().get("/v1/volumes").then().statusCode(200).extract().asString());
        assertThat(listed.findValuesAsText("id")).contains(first.toString(), second.toString());
        assertThat(listed.toString()).doesNotContain("tether-image-cache");
        assertThat(scratchFiles()).isEmpty();
        for (UUID v : List.of(first, second)) {
            given().delete("/v1/volumes/" + v).then().statusCode(204);
        }
    }

    @jakarta.inject.Inject
    org.tether.storage.target.ExportService exports;

    @Test
    void repairPassesRunningThroughoutACacheFillLeaveTheHalfMadeEntryAlone() throws Exception {
        byte[] disk = disk(64 * MIB, 21);
        UUID image = glanceImage("qcow2", convert(disk, "qcow2"), Map.of(), null);
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger passes = new java.util.concurrent.atomic.AtomicInteger();
        Thread repairs = new Thread(() -> {
            while (!done.get()) {
                exports.repairPass(); // what the watch and the timer run: finishes records left creating
                passes.incrementAndGet();
            }
        });
        repairs.start();
        UUID vol = UUID.randomUUID();
        try {
            createFromImage(vol, 1, "{\"glance_id\": \"" + image + "\"}", "succeeded");
        } finally {
            done.set(true);
            repairs.join();
        }
        assertThat(passes.get()).isGreaterThan(10);
        assertVolumeHolds(vol, disk, 1L << 30);
        given().delete("/v1/volumes/" + vol).then().statusCode(204);
    }

    @Test
    void aUrlImageUnderTheFileDirectoryIsCheckedAgainstItsSha256() throws Exception {
        byte[] disk = disk(8 * MIB, 5);
        Path file = IMAGES.resolve("disk-" + UUID.randomUUID() + ".vmdk");
        Files.write(file, convert(disk, "vmdk"));
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        UUID ok = UUID.randomUUID();
        createFromImage(ok, 1, "{\"url\": \"" + file.toUri() + "\", \"disk_format\": \"vmdk\", \"sha256\": \"" + sha
                + "\"}", "succeeded");
        assertVolumeHolds(ok, disk, 1L << 30);
        given().delete("/v1/volumes/" + ok).then().statusCode(204);

        String wrong = sha.substring(1) + (sha.charAt(0) == 'a' ? "b" : "a");
        refused("{\"url\": \"" + file.toUri() + "\", \"sha256\": \"" + wrong + "\"}", "image_checksum_mismatch");
        refused("{\"url\": \"file:///etc/passwd\"}", "invalid_field");
        refused("{\"url\": \"http://192.0.2.1/x.img\"}", "invalid_field");
    }

    @Test
    void hostileImagesAreRefusedWithTheirCodeAndLeaveNothing() throws Exception {
        Path work = Files.createTempDirectory(Path.of("target"), "hostile");
        byte[] raw = disk(4 * MIB, 3);
        byte[] qcow2 = convert(raw, "qcow2");

        refusedGlance("qcow2", qemuImgCreate(work, "backing.qcow2", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F",
                "raw", "1G"), "image_unsafe", "backing file");
        refusedGlance("qcow2", qemuImgCreate(work, "datafile.qcow2", "-f", "qcow2", "-o", "data_file="
                + work.resolve("data.raw"), "16M"), "image_unsafe", "data_file");
        qemuImgCreate(work, "flat.vmdk", "-f", "vmdk", "-o", "subformat=monolithicFlat", "16M");
        refusedGlance("vmdk", Files.readAllBytes(work.resolve("flat.vmdk")), "image_unsafe", "descriptor");
        refusedGlance("qcow2", raw, "image_format_mismatch", "its bytes are raw");
        refusedGlance("raw", qcow2, "image_format_mismatch", "its bytes are qcow2");
        refusedGlance("qcow2", qemuImgCreate(work, "huge.qcow2", "-f", "qcow2", "1P"), "image_too_large", "disk of");
        byte[] big = convert(disk(16 * MIB, 9), "qcow2");
        refusedGlance("qcow2", Arrays.copyOf(big, big.length / 2), "image_unsafe", "truncated");

        UUID badHash = glanceImage("qcow2", qcow2, Map.of(), "0".repeat(128));
        refused("{\"glance_id\": \"" + badHash + "\"}", "image_checksum_mismatch");
        UUID queued = UUID.randomUUID();
        openstack.stubFor(get(urlEqualTo("/glance/v2/images/" + queued)).willReturn(json("""
                {"id": "%s", "name": "q", "status": "queued", "disk_format": "qcow2", "container_format": "bare",
                 "min_disk": 0, "min_ram": 0}""".formatted(queued))));
        refused("{\"glance_id\": \"" + queued + "\"}", "image_not_active");
        refused("{\"glance_id\": \"" + UUID.randomUUID() + "\"}", "image_not_found");
        UUID lying = glanceImage("qcow2", qcow2, Map.of(), null, qcow2.length - 4096L);
        refused("{\"glance_id\": \"" + lying + "\"}", "image_too_large");
    }

    private void refusedGlance(String declared, byte[] bytes, String code, String reason) throws Exception {
        UUID image = glanceImage(declared, bytes, Map.of(), null);
        JsonNode failed = refused("{\"glance_id\": \"" + image + "\"}", code);
        assertThat(failed.get("result").get("detail").asText()).contains(reason);
    }

    private JsonNode refused(String imageJson, String code) throws Exception {
        List<String> filesBefore = files();
        UUID vol = UUID.randomUUID();
        JsonNode failed = createFromImage(vol, 1, imageJson, "failed");
        assertThat(failed.get("result").get("code").asText()).as(imageJson).isEqualTo(code);
        given().get("/v1/volumes/" + vol).then().statusCode(404);
        assertThat(files()).as("backend files after " + code).isEqualTo(filesBefore);
        assertThat(scratchFiles()).isEmpty();
        return failed;
    }

    /** POST without Prefer: a create from an image is asynchronous all the same. */
    static JsonNode createFromImage(UUID vol, int gb, String image, String endState) throws Exception {
        Response r = given().contentType(ContentType.JSON).body("{\"id\": \"" + vol + "\", \"size_gb\": " + gb
                + ", \"source\": {\"image\": " + image + "}}").post("/v1/volumes");
        r.then().statusCode(202);
        return org.tether.lab.Operations.await(r.header("Location"), endState, Duration.ofSeconds(60));
    }

    static UUID glanceImage(String format, byte[] data, Map<String, String> props, String sha512) throws Exception {
        return glanceImage(format, data, props, sha512, (long) data.length);
    }

    static UUID glanceImage(String format, byte[] data, Map<String, String> props, String sha512, long size)
            throws Exception {
        UUID id = UUID.randomUUID();
        String hash = sha512 != null ? sha512
                : HexFormat.of().formatHex(MessageDigest.getInstance("SHA-512").digest(data));
        String md5 = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        StringBuilder extra = new StringBuilder();
        props.forEach((k, v) -> extra.append(", \"").append(k).append("\": \"").append(v).append('"'));
        openstack.stubFor(get(urlEqualTo("/glance/v2/images/" + id)).willReturn(json("""
                {"id": "%s", "name": "img-%s", "status": "active", "disk_format": "%s", "container_format": "bare",
                 "size": %d, "virtual_size": null, "checksum": "%s", "os_hash_algo": "sha512", "os_hash_value": "%s",
                 "min_disk": 0, "min_ram": 0, "visibility": "private", "tags": []%s}"""
                .formatted(id, format, format, size, md5, hash, extra))));
        openstack.stubFor(get(urlEqualTo("/glance/v2/images/" + id + "/file")).willReturn(aResponse()
                .withStatus(200).withHeader("Content-Type", "application/octet-stream").withBody(data)));
        return id;
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder json(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody(body);
    }

    private static void assertVolumeHolds(UUID vol, byte[] disk, long size) throws IOException {
        Path f = FILES.resolve("volume-" + vol);
        assertThat(Files.size(f)).isEqualTo(size);
        byte[] head = new byte[disk.length];
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "r")) {
            raf.readFully(head);
        }
        assertThat(Arrays.equals(head, disk)).as("volume " + vol + " holds the image's disk").isTrue();
    }

    /** A disk with recognisable data in a few places and holes elsewhere. */
    static byte[] disk(long size, int seed) {
        byte[] b = new byte[(int) size];
        Random r = new Random(seed);
        for (long at = 0; at < size; at += 3 * MIB) {
            byte[] chunk = new byte[64 * 1024];
            r.nextBytes(chunk);
            System.arraycopy(chunk, 0, b, (int) at, chunk.length);
        }
        b[b.length - 1] = 42;
        return b;
    }

    static byte[] convert(byte[] raw, String format) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "conv");
        Path in = dir.resolve("in.raw");
        Path out = dir.resolve("out." + format);
        Files.write(in, raw);
        FormatInspectorTest.qemuImg("convert", "-f", "raw", "-O", format, in.toString(), out.toString());
        return Files.readAllBytes(out);
    }

    private static byte[] qemuImgCreate(Path dir, String name, String... args) throws Exception {
        Path out = dir.resolve(name);
        String[] argv = Stream.concat(Stream.of("create"), Stream.concat(Arrays.stream(args).limit(args.length - 1),
                Stream.of(out.toString(), args[args.length - 1]))).toArray(String[]::new);
        FormatInspectorTest.qemuImg(argv);
        return Files.readAllBytes(out);
    }

    private static List<String> files() throws IOException {
        if (!Files.isDirectory(FILES)) {
            return List.of();
        }
        try (var s = Files.list(FILES)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> scratchFiles() throws IOException {
        if (!Files.isDirectory(SCRATCH)) {
            return List.of();
        }
        try (var s = Files.list(SCRATCH)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
