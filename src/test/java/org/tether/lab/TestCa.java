package org.tether.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority made with the JDK's keytool: {@code ca.pem}, {@code ca-trust.p12}, and
 * PKCS#12 stores of the certificates it signs ({@code <name>.p12}, chain included), all with one password.
 */
public final class TestCa {
    public final Path dir;
    public final String password = "changeit-" + Long.toHexString(System.nanoTime());

    private TestCa(Path dir) {
        this.dir = dir;
    }

    /** A new CA in an emptied {@code dir}. */
    public static TestCa create(Path dir) {
        TestCa ca = new TestCa(dir);
        try {
            if (Files.exists(dir)) {
                try (var files = Files.list(dir)) {
                    for (Path f : files.toList()) {
                        Files.delete(f);
                    }
                }
            }
            Files.createDirectories(dir);
            ca.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-dname", "CN=tether-test-ca",
                    "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
            ca.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.pem");
            ca.keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "ca-trust.p12");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return ca;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** A key pair and a certificate this CA signed, in {@code <name>.p12}; {@code ext} as keytool takes it. */
    public Path signed(String name, String dname, String... ext) {
        try {
            keytool("-genkeypair", "-alias", name, "-keyalg", "EC", "-dname", dname, "-validity", "2",
                    "-keystore", name + ".p12");
            keytool("-certreq", "-alias", name, "-keystore", name + ".p12", "-file", name + ".csr");
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-alias", "ca", "-keystore", "ca.p12",
                    "-infile", name + ".csr", "-outfile", name + ".pem", "-rfc", "-validity", "2"));
            gencert.addAll(List.of(ext));
            keytool(gencert.toArray(String[]::new));
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", name + ".p12");
            keytool("-importcert", "-alias", name, "-file", name + ".pem", "-keystore", name + ".p12");
            return file(name + ".p12");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void keytool(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("keytool"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("-storepass", password, "-storetype", "PKCS12"));
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("keytool.log").toFile()).start();
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException("keytool " + String.join(" ", args) + " failed: "
                        + Files.readString(dir.resolve("keytool.log")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
