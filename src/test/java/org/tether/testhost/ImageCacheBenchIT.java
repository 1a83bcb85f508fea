package org.tether.testhost;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Benchmark, not a test of speed: volumes from a 1 GiB qcow2 image (256 MiB of data) on LVM thin in the
 * test-host VM: the first (read, hash, inspect, qemu-img info, convert into a thin LV, thin snapshot), the next
 * ones from the cache (a thin snapshot grown to size), and blank thin volumes of the same size, each timed from
 * the REST call to the volume available. Run by {@code bash lab/bench-testhost.sh}; tag benchmark.
 */
@org.junit.jupiter.api.parallel.ResourceLock(TestHostVm.LOCK)
@Tag("benchmark")
class ImageCacheBenchIT {
    private static final int REPEATS = 5;

    @Test
    void printsFirstCachedAndBlankOnLvmThin() throws Exception {
        Path images = Path.of("target/testhost-images").toAbsolutePath();
        Files.createDirectories(images);
        Path raw = images.resolve("bench-" + UUID.randomUUID() + ".raw");
        try (RandomAccessFile f = new RandomAccessFile(raw.toFile(), "rw")) {
            f.setLength(1L << 30);
            Random r = new Random(3);
            byte[] chunk = new byte[4 << 20];
            for (long at = 0; at < (1L << 30); at += 16 << 20) {
                r.nextBytes(chunk);
                f.seek(at);
                f.write(chunk);
            }
        }
        Path qcow2 = Path.of(raw.toString().replace(".raw", ".qcow2"));
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.toString(),
                qcow2.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        Files.delete(raw);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(qcow2)));
        String source = "{\"image\": {\"url\": \"" + qcow2.toUri() + "\", \"disk_format\": \"qcow2\", \"sha256\": \""
                + sha + "\"}}";
        try (TestHostVm vm = TestHostVm.boot()) {
            List<String> made = new ArrayList<>();
            long t = System.nanoTime();
            made.add(fromImage(vm, source));
            double first = (System.nanoTime() - t) / 1e6;
            List<Double> cached = new ArrayList<>();
            List<Double> blank = new ArrayList<>();
            for (int i = 0; i < REPEATS; i++) {
                t = System.nanoTime();
                made.add(fromImage(vm, source));
                cached.add((System.nanoTime() - t) / 1e6);
                String id = UUID.randomUUID().toString();
                t = System.nanoTime();
                HttpResponse<String> r = vm.post("/v1/volumes", "{\"id\": \"" + id + "\", \"size_gb\": 1, \"thin\": true}");
                blank.add((System.nanoTime() - t) / 1e6);
                assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                made.add(id);
            }
            double c = median(cached);
            double b = median(blank);
            System.out.printf("image cache on LVM thin (test-host VM, TCG; 1 GiB qcow2 with 256 MiB of data, %d MiB "
                            + "file): first %.0f ms, from the cache p50 %.0f ms (%.1fx faster), blank thin 1 GiB p50 %.0f ms "
                            + "(cached = %.1fx of blank)%n", Files.size(qcow2) >> 20, first, c, first / c, b, c / b);
            for (String id : made) {
                vm.delete("/v1/volumes/" + id);
            }
        } finally {
            Files.deleteIfExists(qcow2);
        }
    }

    private static String fromImage(TestHostVm vm, String source) throws Exception {
        String id = UUID.randomUUID().toString();
        HttpResponse<String> r = vm.post("/v1/volumes", "{\"id\": \"" + id + "\", \"size_gb\": 1, \"thin\": true, "
                + "\"source\": " + source + "}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
        String op = r.headers().firstValue("Location").orElseThrow();
        for (int i = 0; i < 12_000; i++) {
            JsonNode state = vm.json(vm.get(op));
            if (!state.path("state").asText().equals("running")) {
                assertThat(state.path("status").asInt()).as(state.toString()).isEqualTo(201);
                return id;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("volume from image still running after 4 min");
    }

    private static double median(List<Double> xs) {
        List<Double> s = xs.stream().sorted().toList();
        return s.get(s.size() / 2);
    }
}
