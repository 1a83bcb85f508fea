package org.tether.storage.backup;

import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A store in an S3 bucket (RADOS Gateway, MinIO, AWS), through the AWS SDK's client: the same layout as a
 * directory store, {@code <prefix>chunks/ab/abcdef...} and {@code <prefix>manifests/<id>.json}. A PUT is atomic
 * in S3 (an object is whole or absent), and the store checks what it received: the SigV4-signed payload over
 * HTTP, Content-MD5 over HTTPS (where the SDK does not sign it); the bucket is made at the
 * first use when it does not exist. Every failure to reach the store or be served by it is
 * {@code backup_store_unavailable} (503, retryable); a missing object is simply absent.
 */
public final class S3BackupStore implements BackupStore {
    private static final Pattern BUCKET = Pattern.compile("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]");

    private final String name;
    private final String bucket;
    private final String prefix;
    private final S3Client s3;
    private final boolean signedPayload;
    private volatile boolean bucketReady;

    public S3BackupStore(String name, URI endpoint, String bucket, String prefix, String region, String accessKey,
                         String secretKey, boolean pathStyle, Duration timeout, java.nio.file.Path caFile) {
        if (!BUCKET.matcher(bucket).matches()) {
            throw new IllegalStateException("tether.backup.stores." + name + ".bucket: " + bucket + " is not an S3 "
                    + "bucket name (3 to 63 of a-z, 0-9, '.' and '-', starting and ending with a letter or digit)");
        }
        this.name = name;
        this.bucket = bucket;
        this.prefix = prefix;
        this.signedPayload = "http".equalsIgnoreCase(endpoint.getScheme());
        this.s3 = S3Client.builder()
                .endpointOverride(endpoint)
                .region(Region.of(region))
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .forcePathStyle(pathStyle)
                // the trailing checksums newer SDKs send by default are not understood by every S3 (RADOS Gateway
                // before Reef): Content-MD5 is set on every PUT instead, and chunks are checked by their SHA-256
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(http(timeout, caFile))
                .overrideConfiguration(o -> o.apiCallTimeout(timeout))
                .build();
    }

    private static UrlConnectionHttpClient.Builder http(Duration timeout, java.nio.file.Path caFile) {
        UrlConnectionHttpClient.Builder b = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(Math.min(10, Math.max(1, timeout.toSeconds()))))
                .socketTimeout(timeout);
        if (caFile != null) {
            javax.net.ssl.TrustManager[] trust = org.tether.openstack.Tls.trustManagers(caFile);
            b.tlsTrustManagersProvider(() -> trust);
        }
        return b;
    }

    @Override
    public String name() {
        return name;
    }

    private String chunkKey(String sha) {
        BackupStore.chunkName(sha);
        return prefix + "chunks/" + sha.substring(0, 2) + "/" + sha;
    }

    private String manifestKey(UUID backup) {
        return prefix + "manifests/" + backup + ".json";
    }

    @Override
    public boolean hasChunk(String sha256) {
        String key = chunkKey(sha256);
        return call("look for chunk " + sha256, () -> {
            try {
                s3.headObject(b -> b.bucket(bucket).key(key));
                return true;
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    return false;
                }
                throw e;
            }
        });
    }

    @Override
    public void putChunk(String sha256, byte[] frame) {
        put(chunkKey(sha256), frame, "application/zstd", "write chunk " + sha256);
    }

    @Override
    public Optional<byte[]> chunk(String sha256) {
        return get(chunkKey(sha256), "read chunk " + sha256);
    }

    @Override
    public void deleteChunk(String sha256) {
        delete(chunkKey(sha256), "delete chunk " + sha256);
    }

    @Override
    public Set<String> chunks() {
        Set<String> out = new HashSet<>();
        for (String key : list(prefix + "chunks/", "list the chunks")) {
            String last = key.substring(key.lastIndexOf('/') + 1);
            if (BackupStore.CHUNK_NAME.matcher(last).matches()) {
                out.add(last);
            }
        }
        return out;
    }

    @Override
    public void putManifest(UUID backup, byte[] json) {
        put(manifestKey(backup), json, "application/json", "write the manifest of " + backup);
    }

    @Override
    public Optional<byte[]> manifest(UUID backup) {
        return get(manifestKey(backup), "read the manifest of " + backup);
    }

    @Override
    public List<UUID> manifests() {
        String dir = prefix + "manifests/";
        return list(dir, "list the manifests").stream().map(k -> k.substring(dir.length()))
                .filter(n -> n.endsWith(".json") && n.indexOf('/') < 0).map(n -> n.substring(0, n.length() - 5))
                .flatMap(BackupStore::backupId).sorted().toList();
    }

    @Override
    public void deleteManifest(UUID backup) {
        delete(manifestKey(backup), "delete the manifest of " + backup);
    }

    @Override
    public void close() {
        s3.close();
    }

    private void put(String key, byte[] bytes, String type, String what) {
        // over plain HTTP the SDK signs the payload itself (SigV4 chunks), which the store checks; over HTTPS the
        // payload is not signed, and Content-MD5 has the store check what it received
        String md5 = signedPayload ? null : Base64.getEncoder().encodeToString(md5(bytes));
        call(what, () -> s3.putObject(b -> b.bucket(bucket).key(key).contentType(type).contentMD5(md5)
                .contentLength((long) bytes.length), RequestBody.fromBytes(bytes)));
    }

    private Optional<byte[]> get(String key, String what) {
        return call(what, () -> {
            try {
                return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArrayUnsafe());
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    private void delete(String key, String what) {
        call(what, () -> s3.deleteObject(b -> b.bucket(bucket).key(key)));
    }

    private List<String> list(String under, String what) {
        return call(what, () -> s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(under)).contents().stream()
                .map(S3Object::key).toList());
    }

    /** The bucket, made when it does not exist yet (once per agent; tried again after a failure). */
    private void ensureBucket() {
        if (bucketReady) {
            return;
        }
        synchronized (this) {
            if (bucketReady) {
                return;
            }
            try {
                s3.headBucket(b -> b.bucket(bucket));
            } catch (S3Exception e) {
                if (e.statusCode() != 404) {
                    throw e;
                }
                s3.createBucket(b -> b.bucket(bucket));
            }
            bucketReady = true;
        }
    }

    private <T> T call(String what, Supplier<T> action) {
        try {
            ensureBucket();
            return action.get();
        } catch (S3Exception e) {
            String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
            throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "backup store " + name + " cannot " + what
                    + ": bucket " + bucket + " answered " + e.statusCode() + (code == null ? "" : " " + code));
        } catch (SdkException e) {
            throw new TetherException(ErrorCode.BACKUP_STORE_UNAVAILABLE, "backup store " + name + " cannot " + what
                    + ": " + e.getMessage());
        }
    }

    private static byte[] md5(byte[] bytes) {
        return org.tether.digest.Digests.md5(bytes, bytes.length);
    }
}
