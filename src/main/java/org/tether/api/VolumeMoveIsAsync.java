package org.tether.api;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import org.tether.operations.AlwaysAsync;

import java.util.regex.Pattern;

/**
 * {@code POST /v1/volumes/{id}/migrate} and {@code .../retype}, and the move of an attached volume ({@code POST
 * /v1/instances/{domain}/volumes/{id}/move}): a move copies the whole volume, minutes long.
 */
@ApplicationScoped
public class VolumeMoveIsAsync implements AlwaysAsync {
    private static final Pattern MOVE = Pattern.compile("/v1/volumes/[^/]+/(migrate|retype)"
            + "|/v1/instances/[^/]+/volumes/[^/]+/move");

    @Override
    public boolean appliesTo(String method, String path, JsonNode body) {
        return "POST".equals(method) && MOVE.matcher(path).matches();
    }
}
