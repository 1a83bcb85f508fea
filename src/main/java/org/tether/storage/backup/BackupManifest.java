package org.tether.storage.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * One backup as its store keeps it: the volume it was made of, its size and chunk size, the parent backup of an
 * incremental, when it was made, the digest of the volume's content, bytes read and stored, and one entry per
 * chunk: the SHA-256 naming the chunk in the store, or null for a chunk that was never written or is all zeroes
 * (recorded, never hashed or sent). {@code manifestSha256} covers everything else, so that a manifest changed or
 * cut short on its way through the store is known as such.
 * <p>
 * The content digest is {@link #contentSha256 a SHA-256 over the SHA-256 of each chunk-sized block} in order, not
 * the SHA-256 of the whole stream: that one cannot skip a block, so a 4 TiB volume holding 20 GiB would cost
 * hashing 4 TiB of zeroes (45 minutes of a core), which is the flaw of cinder-backup this store avoids. The tree
 * costs nothing beyond the chunk hashes and, like them, can be computed without reading unchanged data.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupManifest(
        String format,
        UUID id,
        @JsonProperty("volume_id") UUID volumeId,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("chunk_bytes") int chunkBytes,
        @JsonProperty("parent_id") UUID parentId,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("content_sha256") String contentSha256,
        @JsonProperty("bytes_read") long bytesRead,
        @JsonProperty("bytes_stored") long bytesStored,
        @JsonInclude(JsonInclude.Include.ALWAYS) List<String> chunks,
        Encryption encryption,
        Origin origin,
        @JsonProperty("manifest_sha256") String manifestSha256) {

    /**
     * Where a backup made on the compute side was read (null for one made from a snapshot on the storage side): the
     * running domain and its disk, and whether the guest's file systems were frozen for its instant through the
     * guest agent ({@code quiesced}), else it is crash-consistent.
     */
    public record Origin(String domain, String disk, boolean quiesced) {
    }

    /**
     * How the volume was encrypted, for a LUKS volume (null otherwise): the backup holds its ciphertext, readable
     * with the key {@code encryption_key_id}, the backup's own copy in the key manager ({@link BackupKeys}).
     */
    public record Encryption(String provider, String cipher, @JsonProperty("key_size") int keySize,
                             @JsonProperty("control_location") String controlLocation,
                             @JsonProperty("encryption_key_id") String keyId) {
    }

    static final String FORMAT = "tether-backup/2";

    BackupManifest sealed(ObjectMapper json) {
        BackupManifest open = withHash(null);
        return open.withHash(sha256(bytes(json, open)));
    }

    private BackupManifest withHash(String hash) {
        return new BackupManifest(format, id, volumeId, sizeBytes, chunkBytes, parentId, createdAt, contentSha256,
                bytesRead, bytesStored, chunks, encryption, origin, hash);
    }

    static byte[] bytes(ObjectMapper json, BackupManifest m) {
        try {
            return json.writeValueAsBytes(m);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The manifest read back from a store, refused (backup_corrupt) when it does not parse or fails its hash. */
    static BackupManifest read(ObjectMapper json, byte[] bytes, UUID expected) {
        BackupManifest m;
        try {
            m = json.readValue(bytes, BackupManifest.class);
        } catch (IOException e) {
            throw corrupt(expected, "its manifest does not parse: " + e.getMessage());
        }
        if (!FORMAT.equals(m.format()) || !expected.equals(m.id()) || m.chunks() == null) {
            throw corrupt(expected, "its manifest is not a " + FORMAT + " manifest of this backup");
        }
        String hash = sha256(bytes(json, m.withHash(null)));
        if (!hash.equals(m.manifestSha256())) {
            throw corrupt(expected, "its manifest fails its hash (" + hash + ", recorded " + m.manifestSha256() + ")");
        }
        return m;
    }

    /**
     * The content digest: SHA-256 over the 32-byte SHA-256 of each {@code chunkBytes} block of the content in
     * order (the last block as long as what is left), a block recorded as null hashing as that many zeroes.
     * {@code sha256sum} equivalent: {@code split -b 4M --filter='sha256sum' DEVICE | xxd -r -p | sha256sum}.
     */
    static String contentSha256(List<String> chunks, long size, int chunkBytes) {
        MessageDigest tree = digest();
        String zeroFull = null;
        for (int i = 0; i < chunks.size(); i++) {
            int len = (int) Math.min(chunkBytes, size - (long) i * chunkBytes);
            String sha = chunks.get(i);
            if (sha == null) {
                if (len == chunkBytes) {
                    zeroFull = zeroFull != null ? zeroFull : sha256(new byte[len]);
                    sha = zeroFull;
                } else {
                    sha = sha256(new byte[len]);
                }
            }
            tree.update(HexFormat.of().parseHex(sha));
        }
        return HexFormat.of().formatHex(tree.digest());
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static TetherException corrupt(UUID backup, String why) {
        return new TetherException(ErrorCode.BACKUP_CORRUPT, "backup " + backup + " is corrupt: " + why);
    }

    static String sha256(byte[] b) {
        return sha256(b, b.length);
    }

    /** Through libcrypto for chunk-sized data ({@link org.tether.digest.Digests}). */
    static String sha256(byte[] b, int length) {
        return org.tether.digest.Digests.sha256Hex(b, length);
    }
}
