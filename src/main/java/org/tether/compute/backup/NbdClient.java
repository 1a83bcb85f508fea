package org.tether.compute.backup;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A reading client of the NBD protocol (the fixed newstyle handshake and structured replies, as QEMU's NBD
 * server speaks it: {@code doc/proto.md} of the NetworkBlockDevice project), over a Unix socket: what libvirt's
 * pull-mode backup exports a running domain's disk through. It asks for one meta context, whose extents
 * {@link #status} returns (for {@code base:allocation}: holes and zeroes), and reads. One request at a time;
 * not thread-safe. Every exchange (the handshake, a request and its reply) is bounded: a server that stops
 * answering has its socket closed after the limit, and the call fails instead of waiting forever.
 */
public final class NbdClient implements AutoCloseable {
    /** {@code base:allocation}'s flags: the extent is not allocated / reads as zeroes. */
    public static final int STATE_HOLE = 1;
    public static final int STATE_ZERO = 2;
    public static final String BASE_ALLOCATION = "base:allocation";

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long REPLY_MAGIC = 0x3e889045565a9L;
    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;
    private static final int OPT_ABORT = 2;
    private static final int OPT_GO = 7;
    private static final int OPT_STRUCTURED_REPLY = 8;
    private static final int OPT_SET_META_CONTEXT = 10;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int REP_META_CONTEXT = 4;
    private static final int INFO_EXPORT = 0;
    private static final int INFO_BLOCK_SIZE = 3;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    private static final int CMD_READ = 0;
    private static final int CMD_DISC = 2;
    private static final int CMD_BLOCK_STATUS = 7;
    private static final int REPLY_FLAG_DONE = 1;
    private static final int REPLY_NONE = 0;
    private static final int REPLY_OFFSET_DATA = 1;
    private static final int REPLY_OFFSET_HOLE = 2;
    private static final int REPLY_BLOCK_STATUS = 5;
    private static final int REPLY_ERROR_BIT = 1 << 15;
    /** The most one request asks for: QEMU's server refuses more than 32 MiB. */
    private static final int MAX_REQUEST = 32 << 20;

    /** How long one exchange may take by default: a 32 MiB read of a network disk under load, with room to spare. */
    public static final java.time.Duration EXCHANGE_LIMIT = java.time.Duration.ofSeconds(120);
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOG =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "tether-nbd-watchdog");
                t.setDaemon(true);
                return t;
            });

    /** A range of the export with the meta context's flags for it. */
    public record Extent(long offset, long length, int flags) {
        public long end() {
            return offset + length;
        }
    }

    private final SocketChannel channel;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long size;
    private final int maxRequest;
    private final int contextId;
    private final java.time.Duration limit;
    private long cookie;

    private NbdClient(SocketChannel channel, DataInputStream in, DataOutputStream out, long size, int maxRequest,
                      int contextId, java.time.Duration limit) {
        this.limit = limit;
        this.channel = channel;
        this.in = in;
        this.out = out;
        this.size = size;
        this.maxRequest = maxRequest;
        this.contextId = contextId;
    }

    /** Connects to {@code export} at the Unix socket, with the meta context {@code context} (null: none). */
    public static NbdClient open(Path socket, String export, String context) throws IOException {
        return open(socket, export, context, EXCHANGE_LIMIT);
    }

    /** The same, each exchange bounded by {@code limit}. */
    public static NbdClient open(Path socket, String export, String context, java.time.Duration limit)
            throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            return bounded(ch, limit, () -> {
                ch.connect(UnixDomainSocketAddress.of(socket));
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(ch), 1 << 16));
                DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(
                        Channels.newOutputStream(ch), 4096));
                return handshake(ch, in, out, export, context, limit);
            });
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private interface Exchange<T> {
        T run() throws IOException;
    }

    /** {@code e}, with the socket closed under it if it takes longer than {@code limit}. */
    private static <T> T bounded(SocketChannel ch, java.time.Duration limit, Exchange<T> e) throws IOException {
        java.util.concurrent.atomic.AtomicBoolean fired = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ScheduledFuture<?> timer = WATCHDOG.schedule(() -> {
            fired.set(true); // before the close: the blocked call fails as soon as it is closed
            try {
                ch.close(); // a blocked read or write fails at once
            } catch (IOException ignored) {
                // closing is all there is to do
            }
        }, limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        try {
            return e.run();
        } catch (IOException ex) {
            if (fired.get()) {
                throw new NbdException("the NBD server did not answer within " + limit.toMillis() + " ms; "
                        + "the connection is closed");
            }
            throw ex;
        } finally {
            timer.cancel(false);
        }
    }

    private static NbdClient handshake(SocketChannel ch, DataInputStream in, DataOutputStream out, String export,
                                       String context, java.time.Duration limit) throws IOException {
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new NbdException("not an NBD server speaking the newstyle handshake");
        }
        int serverFlags = in.readUnsignedShort();
        if ((serverFlags & FLAG_FIXED_NEWSTYLE) == 0) {
            throw new NbdException("the NBD server does not speak the fixed newstyle handshake");
        }
        out.writeInt(FLAG_FIXED_NEWSTYLE | (serverFlags & FLAG_NO_ZEROES));
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        int contextId = -1;
        if (context != null) {
            option(out, OPT_STRUCTURED_REPLY, new byte[0]);
            expectAck(in, OPT_STRUCTURED_REPLY, "structured replies");
            byte[] query = context.getBytes(StandardCharsets.UTF_8);
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + name.length + 4 + 4 + query.length);
            b.putInt(name.length).put(name).putInt(1).putInt(query.length).put(query);
            option(out, OPT_SET_META_CONTEXT, b.array());
            while (true) {
                Reply r = reply(in, OPT_SET_META_CONTEXT);
                if (r.type == REP_ACK) {
                    break;
                }
                if (r.type == REP_META_CONTEXT && r.data.length >= 4) {
                    contextId = java.nio.ByteBuffer.wrap(r.data).getInt();
                } else if (r.type < 0) {
                    throw new NbdException("meta context " + context + " refused: " + r.message());
                }
            }
            if (contextId < 0) {
                throw new NbdException("export " + export + " has no meta context " + context);
            }
        }
        java.nio.ByteBuffer go = java.nio.ByteBuffer.allocate(4 + name.length + 2 + 2);
        go.putInt(name.length).put(name).putShort((short) 1).putShort((short) INFO_BLOCK_SIZE);
        option(out, OPT_GO, go.array());
        long size = -1;
        int max = MAX_REQUEST;
        while (true) {
            Reply r = reply(in, OPT_GO);
            if (r.type == REP_ACK) {
                break;
            }
            if (r.type < 0) {
                throw new NbdException("export " + export + " refused: " + r.message());
            }
            if (r.type == REP_INFO) {
                java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(r.data);
                int info = Short.toUnsignedInt(d.getShort());
                if (info == INFO_EXPORT) {
                    size = d.getLong();
                } else if (info == INFO_BLOCK_SIZE) {
                    d.getInt(); // minimum
                    d.getInt(); // preferred
                    max = (int) Math.min(MAX_REQUEST, Integer.toUnsignedLong(d.getInt()));
                }
            }
        }
        if (size < 0) {
            throw new NbdException("export " + export + " told no size");
        }
        return new NbdClient(ch, in, out, size, max, contextId, limit);
    }

    private record Reply(int type, byte[] data) {
        String message() {
            return "reply " + Integer.toUnsignedString(type, 16) + (data.length == 0 ? ""
                    : " " + new String(data, StandardCharsets.UTF_8));
        }
    }

    private static void option(DataOutputStream out, int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    private static Reply reply(DataInputStream in, int option) throws IOException {
        if (in.readLong() != REPLY_MAGIC) {
            throw new NbdException("bad option reply magic");
        }
        int opt = in.readInt();
        int type = in.readInt();
        int length = in.readInt();
        if (opt != option || length < 0 || length > (1 << 20)) {
            throw new NbdException("option reply for " + opt + " (asked " + option + ") of " + length + " bytes");
        }
        byte[] data = new byte[length];
        in.readFully(data);
        return new Reply(type, data);
    }

    private static void expectAck(DataInputStream in, int option, String what) throws IOException {
        Reply r = reply(in, option);
        if (r.type != REP_ACK) {
            throw new NbdException(what + " refused: " + r.message());
        }
    }

    /** The export's size in bytes. */
    public long size() {
        return size;
    }

    /**
     * The meta context's extents covering {@code [offset, offset + length)}, merged where adjacent with the same
     * flags. Asks again for what a reply left out (a server may answer with fewer extents than asked).
     */
    public List<Extent> status(long offset, long length) throws IOException {
        if (contextId < 0) {
            throw new IllegalStateException("opened without a meta context");
        }
        List<Extent> extents = new ArrayList<>();
        long at = offset;
        long end = Math.min(size, offset + length);
        while (at < end) {
            int ask = (int) Math.min(end - at, 0x7fff_f000L);
            long from = at;
            long reached = bounded(channel, limit, () -> statusOnce(from, ask, end, extents));
            if (reached == at) {
                throw new NbdException("block status at " + at + " answered no extent");
            }
            at = reached;
        }
        return extents;
    }

    /** One block status request and its reply; how far its extents reached. */
    private long statusOnce(long at, int ask, long end, List<Extent> extents) throws IOException {
        long c = request(CMD_BLOCK_STATUS, at, ask);
        long reached = at;
        boolean done = false;
        while (!done) {
            Chunk k = chunk(c);
            done = k.done;
            if (k.type == REPLY_BLOCK_STATUS) {
                java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(k.payload);
                int id = d.getInt();
                while (d.remaining() >= 8) {
                    long len = Integer.toUnsignedLong(d.getInt());
                    int flags = d.getInt();
                    if (id != contextId || len == 0) {
                        continue;
                    }
                    long e = Math.min(end, reached + len);
                    add(extents, new Extent(reached, e - reached, flags));
                    reached = e;
                }
            }
        }
        return reached;
    }

    private static void add(List<Extent> extents, Extent e) {
        if (!extents.isEmpty()) {
            Extent last = extents.get(extents.size() - 1);
            if (last.flags() == e.flags() && last.end() == e.offset()) {
                extents.set(extents.size() - 1, new Extent(last.offset(), last.length() + e.length(), e.flags()));
                return;
            }
        }
        extents.add(e);
    }

    /** Exactly {@code length} bytes from {@code offset} into {@code buf} (holes the server reports read as zeroes). */
    public void read(long offset, byte[] buf, int length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > size || length > buf.length) {
            throw new IllegalArgumentException("read of " + length + " at " + offset + " past " + size);
        }
        for (int done = 0; done < length; ) {
            int n = Math.min(maxRequest, length - done);
            int at = done;
            bounded(channel, limit, () -> {
                readOnce(offset + at, buf, at, n);
                return null;
            });
            done += n;
        }
    }

    private void readOnce(long offset, byte[] buf, int at, int length) throws IOException {
        long c = request(CMD_READ, offset, length);
        if (contextId < 0) { // simple reply: the data follows
            int magic = in.readInt();
            int error = in.readInt();
            long handle = in.readLong();
            if (magic != SIMPLE_REPLY_MAGIC || handle != c) {
                throw new NbdException("bad reply to read " + c);
            }
            if (error != 0) {
                throw new NbdException("read of " + length + " at " + offset + " failed: error " + error);
            }
            in.readFully(buf, at, length);
            return;
        }
        boolean done = false;
        while (!done) {
            Chunk k = chunkHeader(c);
            done = k.done;
            if (k.type == REPLY_OFFSET_DATA) {
                long from = in.readLong();
                int n = k.length - 8;
                check(from, n, offset, length);
                in.readFully(buf, at + (int) (from - offset), n);
            } else if (k.type == REPLY_OFFSET_HOLE) {
                long from = in.readLong();
                int n = in.readInt();
                check(from, n, offset, length);
                java.util.Arrays.fill(buf, at + (int) (from - offset), at + (int) (from - offset) + n, (byte) 0);
            } else {
                byte[] payload = new byte[k.length];
                in.readFully(payload);
                failIfError(k.type, payload, "read of " + length + " at " + offset);
            }
        }
    }

    private static void check(long from, int n, long offset, int length) throws NbdException {
        if (n < 0 || from < offset || from + n > offset + length) {
            throw new NbdException("read reply chunk " + from + "+" + n + " outside " + offset + "+" + length);
        }
    }

    private record Chunk(boolean done, int type, int length, byte[] payload) {
    }

    private Chunk chunkHeader(long cookie) throws IOException {
        int magic = in.readInt();
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new NbdException("bad structured reply magic " + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long handle = in.readLong();
        int length = in.readInt();
        if (handle != cookie || length < 0) {
            throw new NbdException("reply for request " + handle + " while waiting for " + cookie);
        }
        return new Chunk((flags & REPLY_FLAG_DONE) != 0, type, length, null);
    }

    private Chunk chunk(long cookie) throws IOException {
        Chunk h = chunkHeader(cookie);
        if (h.length > (64 << 20)) {
            throw new NbdException("reply chunk of " + h.length + " bytes");
        }
        byte[] payload = new byte[h.length];
        in.readFully(payload);
        failIfError(h.type, payload, "block status");
        return new Chunk(h.done, h.type, h.length, payload);
    }

    private static void failIfError(int type, byte[] payload, String what) throws NbdException {
        if ((type & REPLY_ERROR_BIT) == 0) {
            if (type != REPLY_NONE && type != REPLY_BLOCK_STATUS) {
                throw new NbdException(what + ": unexpected reply chunk type " + type);
            }
            return;
        }
        java.nio.ByteBuffer d = java.nio.ByteBuffer.wrap(payload);
        int error = payload.length >= 4 ? d.getInt() : -1;
        String message = "";
        if (payload.length >= 6) {
            int n = Math.min(Short.toUnsignedInt(d.getShort()), d.remaining());
            message = new String(payload, 6, n, StandardCharsets.UTF_8);
        }
        throw new NbdException(what + " failed: error " + error + (message.isEmpty() ? "" : " (" + message + ")"));
    }

    private long request(int type, long offset, int length) throws IOException {
        long c = ++cookie;
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(c);
        out.writeLong(offset);
        out.writeInt(length);
        out.flush();
        return c;
    }

    /** Ends the session (NBD_CMD_DISC) and closes the socket. */
    @Override
    public void close() {
        try {
            request(CMD_DISC, 0, 0);
        } catch (IOException | RuntimeException e) {
            // the server may be gone already (the backup job ended): the socket is closed anyway
        } finally {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
    }

    /** A protocol violation or an error the server answered with. */
    public static final class NbdException extends IOException {
        NbdException(String message) {
            super(message);
        }
    }
}
