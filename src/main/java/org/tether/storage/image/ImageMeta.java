package org.tether.storage.image;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What is known of an image before its bytes are read: Glance's record, or what a URL request declared.
 *
 * @param size        bytes of the data as stored, or null when not declared
 * @param virtualSize bytes of the disk it describes, or null
 * @param hashAlgo    {@code os_hash_algo} (sha512 in Glance), {@code sha256} for URLs, or null
 * @param checksum    Glance's legacy md5 {@code checksum}, or null
 * @param properties  the image's own properties ({@code hw_*}, {@code os_*}, ...), as Cinder copies them
 * @param locations   where the store keeps the data, as Glance shows it ({@code direct_url}, {@code locations}):
 *                    {@code rbd://<fsid>/<pool>/<image>/<snapshot>} for its RBD store; empty when not shown
 */
public record ImageMeta(String id, String name, ImageFormat diskFormat, String containerFormat, Long size,
                        Long virtualSize, String hashAlgo, String hashValue, String checksum, int minDisk, int minRam,
                        Map<String, String> properties, java.util.List<String> locations) {

    public ImageMeta {
        properties = properties == null ? Map.of() : Map.copyOf(properties);
        locations = locations == null ? java.util.List.of() : java.util.List.copyOf(locations);
    }

    /**
     * Names this image's content for the cache: a changed image (new data, new hash) is another key. Null when
     * nothing vouches for the content, and then nothing is cached.
     */
    public String contentKey() {
        if (hashValue != null) {
            return id + ":" + hashAlgo + ":" + hashValue;
        }
        return checksum == null ? null : id + ":md5:" + checksum;
    }

    /** Cinder's {@code volume_image_metadata}: the image's id, name, formats, checksum, sizes and properties. */
    public Map<String, String> volumeImageMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("image_id", id);
        put(m, "image_name", name);
        put(m, "checksum", checksum);
        put(m, "container_format", containerFormat);
        put(m, "disk_format", diskFormat == null ? null : diskFormat.glanceName());
        m.put("min_disk", Integer.toString(minDisk));
        m.put("min_ram", Integer.toString(minRam));
        put(m, "size", size == null ? null : size.toString());
        new java.util.TreeMap<>(properties).forEach(m::putIfAbsent);
        return m;
    }

    private static void put(Map<String, String> m, String key, String value) {
        if (value != null) {
            m.put(key, value);
        }
    }
}
