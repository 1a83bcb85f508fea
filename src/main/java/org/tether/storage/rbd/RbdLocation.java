package org.tether.storage.rbd;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Where Glance's RBD store keeps an image: {@code rbd://<fsid>/<pool>/<image>/<snapshot>}, each part
 * percent-encoded (Cinder's {@code _parse_location}). Any other shape, including the
 * {@code rbd://<image>} of an old single-pool store, names no cluster and so nothing to clone from.
 */
record RbdLocation(String fsid, String pool, String image, String snapshot) {
    private static final String PREFIX = "rbd://";

    static Optional<RbdLocation> parse(String url) {
        if (url == null || !url.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] parts = url.substring(PREFIX.length()).split("/", -1);
        if (parts.length != 4) {
            return Optional.empty();
        }
        String[] decoded = new String[4];
        for (int i = 0; i < 4; i++) {
            try {
                decoded[i] = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
            // an rbd spec is pool/image@snap: none of these may carry its separators, or a path
            if (decoded[i].isEmpty() || decoded[i].contains("/") || decoded[i].contains("@")
                    || decoded[i].startsWith("-") || decoded[i].chars().anyMatch(c -> c < 0x20)) {
                return Optional.empty();
            }
        }
        return Optional.of(new RbdLocation(decoded[0], decoded[1], decoded[2], decoded[3]));
    }

    /** {@code pool/image@snapshot}, as rbd takes a parent. */
    String snapshotSpec() {
        return pool + "/" + image + "@" + snapshot;
    }
}
