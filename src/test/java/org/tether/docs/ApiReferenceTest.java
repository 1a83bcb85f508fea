package org.tether.docs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The OpenAPI document the agent serves says, for every operation, what it does and which answers it gives (none
 * keeps SmallRye's generic "OK"), and {@code docs/api-reference.md} is that document as it is now.
 */
@QuarkusTest
class ApiReferenceTest {
    private static final Path PAGE = Path.of("docs/api-reference.md");

    @Test
    void everyOperationDocumentsItsAnswersAndTheReferenceIsTheGeneratedOne() throws Exception {
        JsonNode openapi = new ObjectMapper().readTree(given().queryParam("format", "json").get("/q/openapi").then()
                .statusCode(200).extract().asString());
        assertThat(openapi.path("paths").size()).isGreaterThan(30);
        assertThat(ApiReference.undocumented(openapi)).as("operations without a summary, a 2xx answer, or with "
                + "SmallRye's generic answers (add @Operation and @APIResponse)").isEmpty();
        GeneratedPage.check(PAGE, ApiReference.markdown(openapi), "ApiReferenceTest");
    }
}
