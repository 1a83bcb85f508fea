package org.tether.lab;

import org.tether.concurrent.Deadline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A 512-byte boot sector that SeaBIOS runs and that prints one line on COM1 (host-lab 3b): proof that a
 * domain booted from the volume holding it, read from the domain's console log.
 */
public final class BootSector {
    /** cld; ds=0; si=0x7c16; dx=0x3f8; lodsb until 0, out dx,al; hlt. */
    private static final String CODE = "fc31c08ed8be167cbaf803ac08c07403eeebf8f4ebfd";

    private BootSector() {
    }

    public static byte[] printing(String line) {
        byte[] sector = new byte[512];
        byte[] code = HexFormat.of().parseHex(CODE);
        System.arraycopy(code, 0, sector, 0, code.length);
        byte[] text = (line + "\r\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, sector, code.length, text.length);
        sector[510] = 0x55;
        sector[511] = (byte) 0xaa;
        return sector;
    }

    /** Waits up to 60 s for the line in the console log. */
    public static void awaitConsole(Path console, String line) {
        assertThat(Deadline.in(Duration.ofSeconds(60)).poll(() -> consoleLine(console, line),
                Duration.ofMillis(50), Duration.ofMillis(500))).as("the boot sector ran and printed on COM1")
                .contains(line);
    }

    private static Optional<String> consoleLine(Path log, String line) {
        try {
            return Files.exists(log) && Files.readString(log, StandardCharsets.ISO_8859_1).contains(line)
                    ? Optional.of(line) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
