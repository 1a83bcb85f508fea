package org.tether.security;

import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import org.junit.jupiter.api.Test;
import org.tether.lab.RawHttp;

import java.nio.file.Files;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deny by default, in process: no spelling of an API path gets past Quarkus Security without the token, and
 * the same spellings with the token do reach the resources (so the refusals are not a routing accident).
 */
@org.junit.jupiter.api.Tag("host")
@QuarkusTest
@TestProfile(ApiAuthTest.WithToken.class)
class PathSpellingTest {
    private final RawHttp http = new RawHttp("127.0.0.1", 18081);
    private final Map<String, String> token = Map.of("Authorization", "Bearer " + ApiAuthTest.TOKEN);

    @Test
    void everySpellingWithoutValidCredentialsIs401AndAuditedAndTheVolumeSurvives() throws Exception {
        String id = UUID.randomUUID().toString();
        assertThat(http.send("POST", "/v1/volumes", token, "{\"id\":\"" + id + "\",\"size_gb\":1}").status())
                .isEqualTo(201);
        long before = Files.readString(ApiAuthTest.AUDIT).lines().filter(l -> l.contains("\"status\":401")).count();

        PathSpellings.assertAllRefused(http, id);

        assertThat(http.send("GET", "/v1/volumes/" + id, token, null).status()).isEqualTo(200);
        long refusals = Files.readString(ApiAuthTest.AUDIT).lines().filter(l -> l.contains("\"status\":401")).count();
        int sent = 3 * (PathSpellings.READS.size() + PathSpellings.deletes(id).size() + PathSpellings.CREATES.size());
        assertThat(refusals - before).as("one audit line per refusal").isEqualTo(sent);
        assertThat(http.send("DELETE", "/v1/volumes/" + id, token, null).status()).isEqualTo(204);
    }

    @Test
    void theSpellingsReachTheResourceWithTheToken() throws Exception {
        for (String path : new String[]{"/v1;x=1/connector", "/v1/connector;jsessionid=abc", "/x/../v1/connector",
                "/%76%31/connector", "/v1/./connector"}) {
            assertThat(http.send("GET", path, token, null).status()).as(path).isEqualTo(200);
        }
    }

    @Test
    void healthIsOpenOnlyWhenSpelledPlainly() throws Exception {
        assertThat(http.send("GET", "/q/health/live", Map.of(), null).status()).isEqualTo(200);
        assertThat(http.send("GET", "/q/health", Map.of(), null).status()).isEqualTo(200);
        for (String odd : new String[]{"/q/health;x/live", "/q/health/%6cive", "/q//health/live",
                "/q/health/./live"}) {
            assertThat(http.send("GET", odd, Map.of(), null).status()).as(odd).isEqualTo(401);
            assertThat(http.send("GET", odd, token, null).status()).as(odd + " with the token").isNotEqualTo(401);
        }
    }
}
