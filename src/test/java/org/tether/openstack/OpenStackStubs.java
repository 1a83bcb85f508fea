package org.tether.openstack;

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

    /** A WireMock on loopback for Keystone and the services behind it, started. */
    public static WireMockServer start() {
        WireMockServer server = new WireMockServer(com.github.tomakehurst.wiremock.core.WireMockConfiguration.options()
                .dynamicPort().bindAddress("127.0.0.1"));
        server.start();
        return server;
    }

    /**
     * The agent's {@code tether.cinder.*} for a Keystone that {@code server} plays: a fresh password in a 0600
     * {@code passwordFile}, one retry 10 ms apart.
     */
    public static java.util.Map<String, String> credentials(WireMockServer server, java.nio.file.Path passwordFile) {
        try {
            java.nio.file.Files.deleteIfExists(passwordFile);
            java.nio.file.Files.createFile(passwordFile, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            java.nio.file.Files.writeString(passwordFile, "secret-" + java.util.UUID.randomUUID());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return java.util.Map.of("tether.cinder.auth-url", authUrl(server), "tether.cinder.username", "tether",
                "tether.cinder.password-file", passwordFile.toString(), "tether.cinder.project-id", PROJECT,
                "tether.cinder.retries", "1", "tether.cinder.retry-delay", "10ms");
    }

    public static String authUrl(WireMockServer server) {
        return server.baseUrl() + "/identity/v3";
    }

    /**
     * A token answer: public volumev3 at /cinder, internal block-storage at /internal in RegionTwo, public image
     * (Glance) at /glance, public key-manager (Barbican) at /barbican.
     */
    public static ResponseDefinitionBuilder token(WireMockServer server, String value, Instant expires) {
        return token(server, value, expires, new String[0]);
    }

    /** The same token answer, carrying these roles (Keystone lists them in {@code token.roles}). */
    public static ResponseDefinitionBuilder token(WireMockServer server, String value, Instant expires,
                                                  String... roles) {
        String base = server.baseUrl();
        StringBuilder roleList = new StringBuilder();
        for (String r : roles) {
            roleList.append(roleList.isEmpty() ? "" : ", ").append("{\"id\": \"r-").append(r)
                    .append("\", \"name\": \"").append(r).append("\"}");
        }
        return aResponse().withStatus(201).withHeader("X-Subject-Token", value)
                .withHeader("Content-Type", "application/json").withBody("""
                        {"token": {"methods": ["password"], "expires_at": "%s",
                         "issued_at": "2026-11-22T05:00:00.000000Z",
                         "project": {"id": "%s", "name": "service", "domain": {"id": "default", "name": "Default"}},
                         "user": {"id": "u1", "name": "tether", "domain": {"id": "default", "name": "Default"}},
                         "roles": [%s],
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
                         ]}}""".formatted(expires.toString(), PROJECT, roleList, base, base, base, base, PROJECT, base, PROJECT, base,
                        PROJECT));
    }

    public static MappingBuilder keystone() {
        return post(urlEqualTo(KEYSTONE_PATH));
    }

    public static ResponseDefinitionBuilder cinderError(int status, String kind, String message) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody("{\"" + kind + "\": {\"code\": " + status + ", \"message\": \"" + message + "\"}}");
    }
}
