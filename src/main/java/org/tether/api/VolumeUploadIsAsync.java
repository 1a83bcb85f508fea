package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.operations.AlwaysAsync;

import java.util.regex.Pattern;

/** {@code POST /v1/volumes/{id}/image}: a snapshot, a conversion and an upload, minutes long. */
@ApplicationScoped
public class VolumeUploadIsAsync implements AlwaysAsync {
    private static final Pattern UPLOAD = Pattern.compile("/v1/volumes/[^/]+/image");

    @Override
    public boolean appliesTo(String method, String path, JsonNode body) {
        return "POST".equals(method) && UPLOAD.matcher(path).matches();
    }
}
