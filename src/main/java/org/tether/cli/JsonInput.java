package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A JSON document an option names: a file, or {@code -} for standard input; unreadable is a usage error. */
final class JsonInput {
    private JsonInput() {
    }

    static JsonNode read(String source, String option) {
        try {
            byte[] bytes = "-".equals(source) ? System.in.readAllBytes() : Files.readAllBytes(Path.of(source));
            return AgentClient.JSON.readTree(bytes);
        } catch (IOException e) {
            throw new IllegalArgumentException(option + " " + source + ": " + e.getMessage());
        }
    }
}
