package org.tether.storage.image;

import java.net.URI;
import java.util.UUID;

/** Where a volume's bytes come from when it is made from an image. */
public sealed interface ImageRequest {

    /** An image in Glance, by id. */
    record Glance(UUID id) implements ImageRequest {
    }

    /**
     * An image at a URL (http, https, or file under the configured directory), for operators without Glance.
     *
     * @param diskFormat what the caller says it is, or null to take what the bytes are
     * @param sha256     hex digest the data must have, or null
     */
    record Url(URI url, ImageFormat diskFormat, String sha256) implements ImageRequest {
    }
}
