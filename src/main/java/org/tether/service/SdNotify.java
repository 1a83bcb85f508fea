package org.tether.service;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * systemd's notify protocol without libsystemd: one datagram per message to the AF_UNIX socket named by
 * {@code NOTIFY_SOCKET} (a path, or an abstract name written with a leading {@code @}). Java's own channels
 * cannot send Unix datagrams, so the three libc calls go through JNA.
 */
public final class SdNotify {
    static final int AF_UNIX = 1;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 02000000;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int SUN_PATH = 108;

    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int socket(int domain, int type, int protocol);

        NativeLong sendto(int fd, byte[] buf, NativeLong len, int flags, byte[] addr, int addrLen);

        int close(int fd);
    }

    private final String socket;

    private SdNotify(String socket) {
        this.socket = socket;
    }

    /** From the environment systemd gives a {@code Type=notify} service; empty when not run by it. */
    public static Optional<SdNotify> fromEnvironment() {
        return Optional.ofNullable(System.getenv("NOTIFY_SOCKET")).filter(s -> !s.isBlank()).map(SdNotify::new);
    }

    public static SdNotify to(String socket) {
        return new SdNotify(socket);
    }

    /** Sends one message ({@code READY=1}, {@code WATCHDOG=1}, ...). Returns false when it could not be sent. */
    public boolean send(String message) {
        byte[] addr = address(socket);
        byte[] body = message.getBytes(StandardCharsets.UTF_8);
        int fd = LibC.INSTANCE.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            return false;
        }
        try {
            return LibC.INSTANCE.sendto(fd, body, new NativeLong(body.length), MSG_NOSIGNAL, addr, addrLength(socket))
                    .longValue() == body.length;
        } finally {
            LibC.INSTANCE.close(fd);
        }
    }

    /** {@code struct sockaddr_un}: family, then the path (NUL-terminated) or a NUL and the abstract name. */
    static byte[] address(String socket) {
        byte[] name = socket.getBytes(StandardCharsets.UTF_8);
        if (name.length == 0 || name.length >= SUN_PATH) {
            throw new IllegalArgumentException("NOTIFY_SOCKET must be 1-107 bytes: " + socket);
        }
        byte[] addr = new byte[2 + SUN_PATH];
        addr[0] = (byte) AF_UNIX; // sa_family_t, little-endian on every platform this agent runs on
        System.arraycopy(name, 0, addr, 2, name.length);
        if (name[0] == '@') {
            addr[2] = 0;
        }
        return addr;
    }

    static int addrLength(String socket) {
        int n = socket.getBytes(StandardCharsets.UTF_8).length;
        return socket.startsWith("@") ? 2 + n : 2 + n + 1;
    }
}
