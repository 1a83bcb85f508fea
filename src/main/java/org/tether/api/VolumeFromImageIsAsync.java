package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.operations.AlwaysAsync;

/** {@code POST /v1/volumes} with {@code source.image}: a download and a conversion, minutes long. */
@ApplicationScoped
public class VolumeFromImageIsAsync implements AlwaysAsync {
    @Override
    public boolean appliesTo(String method, String path, JsonNode body) {
        return "POST".equals(method) && "/v1/volumes".equals(path) && body != null
                && body.path("source").path("image").isObject();
    }
}
