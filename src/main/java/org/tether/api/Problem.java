package org.tether.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

/** RFC 9457 problem details, with Tether's stable {@code code} and the offending {@code field}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record Problem(
        @Schema(description = "URI naming the problem type", example = "urn:tether:problem:invalid_field") String type,
        String title,
        int status,
        @Schema(description = "What was wrong; never contains a secret") String detail,
        @Schema(description = "Stable machine-readable code", example = "invalid_field") String code,
        @Schema(description = "The request field at fault", example = "connection_info.data.target_iqn") String field,
        String instance) {
    public static final String MEDIA_TYPE = "application/problem+json";
}
