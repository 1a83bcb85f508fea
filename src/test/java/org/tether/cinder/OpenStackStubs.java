package org.tether.cinder;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.MappingBuilder;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;

import java.time.Instant;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

/** Keystone and Cinder as WireMock plays them: token answers with a catalog, Cinder's error bodies. */
public final class OpenStackStubs {
    public static final String KEYSTONE_PATH = "/identity/v3/auth/tokens";
    public static final String PROJECT = "a1b2c3d4e5f60718293a4b5c6d7e8f90";

    private OpenStackStubs() {
    }

    public static String authUrl(WireMockServer server) {
        return server.baseUrl() + "/identity/v3";
    }

    /**
     * A token answer: public volumev3 at /cinder, internal block-storage at /internal in RegionTwo, public image
     * (Glance) at /glance, public key-manager (Barbican) at /barbican.
     */
    public static ResponseDefinitionBuilder token(WireMockServer server, String value, Instant expires) {
        String base = server.baseUrl();
        return aResponse().withStatus(201).withHeader("X-Subject-Token", value)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"token": {"methods": ["password"], "expires_at": "%s",
                         "issued_at": "2026-11-22T05:00:00.000000Z",
                         "project": {"id": "%s", "name": "service", "domain": {"id": "default", "name": "Default"}},
                         "user": {"id": "u1", "name": "tether", "domain": {"id": "default", "name": "Default"}},
                         "catalog": [
                          {"type": "image", "name": "glance", "endpoints": [
                            {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/glance"}]},
                          {"type": "key-manager", "name": "barbican", "endpoints": [
                            {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/barbican"}]},
                          {"type": "identity", "name": "keystone", "endpoints": [
                            {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/identity"}]},
                          {"type": "block-storage", "name": "cinder", "endpoints": [
                            {"interface": "internal", "region": "RegionTwo", "region_id": "RegionTwo", "url": "%s/internal/v3/%s"}]},
                          {"type": "volumev3", "name": "cinderv3", "endpoints": [
                            {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/cinder/v3/%s"},
                            {"interface": "internal", "region": "RegionOne", "region_id": "RegionOne", "url": "%s/wrong/v3/%s"}]}
                         ]}}""".formatted(expires.toString(), PROJECT, base, base, base, base, PROJECT, base, PROJECT, base,
                        PROJECT));
    }

    public static MappingBuilder keystone() {
        return post(urlEqualTo(KEYSTONE_PATH));
    }

    static ResponseDefinitionBuilder cinderError(int status, String kind, String message) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"" + kind + "\": {\"code\": " + status + ", \"message\": \"" + message + "\"}}");
    }
}
