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
 * 512-byte boot sectors that SeaBIOS runs: one prints a line on COM1 (host-lab 3b), proof that a domain booted
 * from the volume holding it, read from the domain's console log; one writes to its own disk as a guest does.
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

    /**
     * A boot sector that writes {@code sectors} sectors, itself then what follows it in memory, at {@code lba} of the
     * disk it was booted from, through the BIOS (int 13h, function 43h, extended write) and so through the
     * emulated disk as a guest's own write, which QEMU counts; then it halts.
     */
    public static byte[] writing(long lba, int sectors) {
        // cld; ds=0; si=0x7c20 (the disk address packet); ah=0x43 al=0; int 0x13 (dl: the boot drive); hlt; jmp hlt
        byte[] sector = new byte[512];
        byte[] code = HexFormat.of().parseHex("fc31c08ed8be207cb443b000cd13f4ebfd");
        System.arraycopy(code, 0, sector, 0, code.length);
        java.nio.ByteBuffer dap = java.nio.ByteBuffer.wrap(sector, 0x20, 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        dap.put((byte) 16).put((byte) 0).putShort((short) sectors).putShort((short) 0x7c00).putShort((short) 0)
                .putLong(lba);
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
