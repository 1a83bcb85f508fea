package org.tether.lab;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.time.Duration;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/** Asynchronous operations of the agent under a QuarkusTest, followed to their end. */
public final class Operations {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Operations() {
    }

    /** Polls the operation at {@code location} until it ends, which must be in {@code endState}; returns it. */
    public static JsonNode await(String location, String endState, Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode op = JSON.readTree(given().get(location).then().statusCode(200).extract().asString());
            if (!op.get("state").asText().equals("running")) {
                assertThat(op.get("state").asText()).as(op.toString()).isEqualTo(endState);
                return op;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("operation " + location + " still running after " + limit);
    }
}
