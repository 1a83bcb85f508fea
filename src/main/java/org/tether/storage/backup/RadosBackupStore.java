package org.tether.storage.backup;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * A store in a Ceph pool, as cinder-backup's Ceph driver keeps its backups in a pool of their own (often of
 * another cluster): the same chunks and manifests as every store, each one RADOS object
 * ({@code <prefix>chunks/<sha256>}, {@code <prefix>manifests/<id>.json}) in the namespace {@value #NAMESPACE}
 * of the pool, so RBD images or another tool's objects in the same pool are never listed or collected. A
 * chunk or manifest is written in one operation that replaces the object whole. Every failure to reach the
 * cluster or be served by it is {@code backup_store_unavailable} (503, retryable), naming the pool, the user
 * and the errno; a missing object is simply absent.
 */
final class RadosBackupStore implements BackupStore {
    static final String NAMESPACE = "tether-backups";

    private final String name;
    private final String prefix;
    private final RadosObjects objects;

    RadosBackupStore(String name, String prefix, RadosObjects objects) {
        this.name = name;
        this.prefix = prefix;
        this.objects = objects;
    }

    @Override
    public String name() {
        return name;
    }

    private String chunkObject(String sha) {
        return prefix + "chunks/" + BackupStore.chunkName(sha);
    }

    private String manifestObject(UUID backup) {
        return prefix + "manifests/" + backup + ".json";
    }

    @Override
    public boolean hasChunk(String sha256) {
        try {
            return objects.size(chunkObject(sha256)).isPresent();
        } catch (RadosObjects.RadosException e) {
            throw unavailable("look for chunk " + sha256, e.errno);
        }
    }

    @Override
    public void putChunk(String sha256, byte[] frame) {
        write(chunkObject(sha256), frame, "write chunk " + sha256);
    }

    @Override
    public Optional<byte[]> chunk(String sha256) {
        return read(chunkObject(sha256), "read chunk " + sha256);
    }

    @Override
    public void deleteChunk(String sha256) {
        remove(chunkObject(sha256), "delete chunk " + sha256);
    }

    @Override
    public Set<String> chunks() {
        String dir = prefix + "chunks/";
        Set<String> out = new HashSet<>();
        for (String object : list(dir, "list the chunks")) {
            String last = object.substring(dir.length());
            if (BackupStore.CHUNK_NAME.matcher(last).matches()) {
                out.add(last);
            }
        }
        return out;
    }

    @Override
    public void putManifest(UUID backup, byte[] json) {
        write(manifestObject(backup), json, "write the manifest of " + backup);
    }

    @Override
    public Optional<byte[]> manifest(UUID backup) {
        return read(manifestObject(backup), "read the manifest of " + backup);
    }

    @Override
    public List<UUID> manifests() {
        String dir = prefix + "manifests/";
        return list(dir, "list the manifests").stream().map(o -> o.substring(dir.length()))
                .filter(n -> n.endsWith(".json") && n.indexOf('/') < 0).map(n -> n.substring(0, n.length() - 5))
                .flatMap(BackupStore::backupId).sorted().toList();
    }

    @Override
    public void deleteManifest(UUID backup) {
        remove(manifestObject(backup), "delete the manifest of " + backup);
    }

    @Override
    public void close() {
        objects.close();
    }

    private void write(String object, byte[] bytes, String what) {
        int r = objects.writeFull(object, bytes);
        if (r < 0) {
            throw unavailable(what, -r);
        }
    }

    private Optional<byte[]> read(String object, String what) {
        try {
            return objects.read(object);
        } catch (RadosObjects.RadosException e) {
            throw unavailable(what, e.errno);
        }
    }

    private void remove(String object, String what) {
        int r = objects.remove(object);
        if (r < 0) {
            throw unavailable(what, -r);
        }
    }

    private List<String> list(String under, String what) {
        try {
            return objects.list(under);
        } catch (RadosObjects.RadosException e) {
            throw unavailable(what, e.errno);
        }
    }

    private TetherException unavailable(String what, int errno) {
        RadosObjects.Target t = objects.target();
        return new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "backup store " + name + " cannot " + what
                + ": pool " + t.pool() + " as client." + t.user() + " answered " + describe(errno));
    }

    /** The errno and what it most likely means here. */
    static String describe(int errno) {
        return switch (errno) {
            case 1, 13 -> "(" + errno + ") permission denied: the user's caps do not cover the pool, or its key is wrong";
            case 2 -> "(2) no such pool, no keyring file, or librados2 cannot be loaded";
            case RadosObjects.ETIMEDOUT -> "(110) timed out: the monitors or OSDs do not answer";
            case RadosObjects.ECONNREFUSED -> "(111) connection refused: no monitor at the configured addresses";
            case RadosObjects.ENOTCONN, RadosObjects.ESHUTDOWN -> "(" + errno + ") not connected (cut by the cluster)";
            case 28, 122 -> "(" + errno + ") the pool is full or over its quota";
            case 27 -> "(27) an object too large for the cluster (osd_max_write_size)";
            default -> "errno " + errno;
        };
    }
}
