package org.tether.security;

import org.tether.lab.RawHttp;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Spellings of API paths that routers, decoders and REST layers treat differently: each one, without a
 * token, with a wrong one and with a forged internal-call header, must be refused (401) and never reach a
 * resource. Shared by the in-process test and the packaged agent's.
 */
final class PathSpellings {
    private PathSpellings() {
    }

    /** Spellings of {@code GET /v1/connector}. */
    static final List<String> READS = List.of(
            "/v1/connector", "/v1;x=1/connector", "/v1/connector;x", "/v1;/connector", "//v1/connector",
            "/v1//connector", "/v1/./connector", "/x/../v1/connector", "/%76%31/connector", "/v1%2Fconnector",
            "/V1/connector", "/v1/connector/", "/v1/connector;jsessionid=abc", "/v1/connector?x=1",
            "/q/health/../../v1/connector", "/q/health;x/../../v1/connector", "/q/health/..;/..;/v1/connector",
            "/q/health/%2e%2e/%2e%2e/v1/connector", "/q/health/..%2f..%2fv1/connector", "/q/metrics/../../v1/connector",
            "/q/health;/../v1/connector", "/q/health/live/../../../v1/connector", "/v1/./././connector",
            "/%2F/v1/connector", "/v1/%63onnector", "/q/health%2F..%2F..%2Fv1%2Fconnector");

    /** Spellings of {@code DELETE /v1/volumes/{id}}. */
    static List<String> deletes(String id) {
        return List.of("/v1/volumes/" + id, "/v1;x/volumes/" + id, "/v1/volumes;x/" + id, "/v1/volumes/" + id + ";x",
                "//v1/volumes/" + id, "/v1//volumes/" + id, "/v1/./volumes/" + id, "/x/../v1/volumes/" + id,
                "/%76%31/volumes/" + id, "/v1%2Fvolumes/" + id, "/V1/volumes/" + id, "/v1/volumes/" + id + "/",
                "/q/health/../../v1/volumes/" + id, "/q/health;x/../../v1/volumes/" + id,
                "/q/health/..;/..;/v1/volumes/" + id);
    }

    /** Spellings of {@code POST /v1/volumes}. */
    static final List<String> CREATES = List.of("/v1/volumes", "/v1;x/volumes", "/v1/volumes;x", "//v1/volumes",
            "/v1/./volumes", "/x/../v1/volumes", "/%76%31/volumes", "/q/health/..;/..;/v1/volumes");

    /** Credentials that must not get in: none, a wrong bearer token, a forged internal call. */
    static final List<Map<String, String>> WRONG = List.of(Map.of(),
            Map.of("Authorization", "Bearer wrong-token-0123456789"),
            Map.of(InternalCalls.HEADER, "00".repeat(32), InternalCalls.ON_BEHALF_OF, "token:forged"));

    /** Every spelling with every wrong credential: the refusals, as "METHOD path [creds] -> status" lines. */
    static List<String> unexpected(RawHttp http, String method, List<String> paths, String body) throws IOException {
        List<String> wrong = new ArrayList<>();
        for (String path : paths) {
            for (Map<String, String> creds : WRONG) {
                RawHttp.Answer a = http.send(method, path, creds, body);
                if (a.status() != 401 || !a.body().contains("\"code\":\"unauthorized\"")) {
                    wrong.add(method + " " + path + " " + creds.keySet() + " -> " + a.status() + " " + a.body());
                }
            }
        }
        return wrong;
    }

    static void assertAllRefused(RawHttp http, String volumeId) throws IOException {
        List<String> wrong = new ArrayList<>(unexpected(http, "GET", READS, null));
        wrong.addAll(unexpected(http, "DELETE", deletes(volumeId), null));
        wrong.addAll(unexpected(http, "POST", CREATES, "{\"id\":\"" + java.util.UUID.randomUUID()
                + "\",\"size_gb\":1}"));
        assertThat(wrong).as("spellings that were not refused").isEmpty();
    }
}
