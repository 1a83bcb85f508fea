package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Calls that take minutes (a volume made from an image) run as asynchronous operations even when the caller
 * did not ask: a client's HTTP timeout must not decide their fate. Beans of this type name such calls.
 */
public interface AlwaysAsync {
    boolean appliesTo(String method, String path, JsonNode body);
}
