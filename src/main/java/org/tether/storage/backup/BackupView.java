package org.tether.storage.backup;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.time.Instant;
import java.util.UUID;

/** A backup as the API shows it: from its manifest once whole, from the work under way before. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupView(
        UUID id,
        @JsonProperty("volume_id") UUID volumeId,
        @JsonProperty("size_bytes") long sizeBytes,
        String store,
        @JsonProperty("parent_id") UUID parentId,
        String state,
        @JsonProperty("bytes_read") long bytesRead,
        @JsonProperty("bytes_stored") long bytesStored,
        @JsonProperty("created_at") Instant createdAt,
        @JsonProperty("content_sha256") String contentSha256,
        @JsonProperty("chunks") Integer chunks,
        @JsonProperty("unwritten_chunks") Integer unwrittenChunks,
        Boolean encrypted,
        @JsonProperty("encryption_key_id") String encryptionKeyId,
        BackupManifest.Origin origin,
        String detail) {

    static BackupView of(BackupManifest m, String store, String state) {
        int unwritten = (int) m.chunks().stream().filter(java.util.Objects::isNull).count();
        return new BackupView(m.id(), m.volumeId(), m.sizeBytes(), store, m.parentId(), state, m.bytesRead(),
                m.bytesStored(), m.createdAt(), m.contentSha256(), m.chunks().size(), unwritten, m.encryption() != null,
                m.encryption() == null ? null : m.encryption().keyId(), m.origin(), null);
    }
}
