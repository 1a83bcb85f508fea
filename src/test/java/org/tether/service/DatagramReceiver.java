package org.tether.service;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** The receiving end of a notify socket, as systemd binds it: an AF_UNIX datagram socket (JNA, test only). */
final class DatagramReceiver implements AutoCloseable {
    interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int socket(int domain, int type, int protocol);

        int bind(int fd, byte[] addr, int addrLen);

        int setsockopt(int fd, int level, int name, byte[] value, int len);

        NativeLong recv(int fd, byte[] buf, NativeLong len, int flags);

        int close(int fd);
    }

    private static final int SOL_SOCKET = 1;
    private static final int SO_RCVTIMEO = 20;
    private final int fd;

    DatagramReceiver(String socket) {
        fd = LibC.INSTANCE.socket(SdNotify.AF_UNIX, SdNotify.SOCK_DGRAM, 0);
        if (fd < 0 || LibC.INSTANCE.bind(fd, SdNotify.address(socket), SdNotify.addrLength(socket)) != 0) {
            throw new IllegalStateException("cannot bind " + socket + ": errno " + Native.getLastError());
        }
    }

    /** The next datagram, or empty after {@code millis} without one. */
    Optional<String> receive(long millis) {
        byte[] tv = new byte[16]; // struct timeval, little-endian
        long sec = millis / 1000;
        long usec = (millis % 1000) * 1000;
        for (int i = 0; i < 8; i++) {
            tv[i] = (byte) (sec >>> (8 * i));
            tv[8 + i] = (byte) (usec >>> (8 * i));
        }
        LibC.INSTANCE.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length);
        byte[] buf = new byte[4096];
        long n = LibC.INSTANCE.recv(fd, buf, new NativeLong(buf.length), 0).longValue();
        return n < 0 ? Optional.empty() : Optional.of(new String(buf, 0, (int) n, StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        LibC.INSTANCE.close(fd);
    }
}
