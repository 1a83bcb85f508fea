package org.tether.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.util.stream.Collectors;

/** Every error leaves as problem+json. Unexpected failures are logged in full and answered generically. */
public class ProblemMappers {
    private static final Logger LOG = Logger.getLogger(ProblemMappers.class);
    /** The problem's code as a header too, so the audit log can name it without reading bodies. */
    public static final String PROBLEM_HEADER = org.tether.security.CallAudit.PROBLEM_HEADER;

    @jakarta.inject.Inject
    io.micrometer.core.instrument.MeterRegistry meters;

    @ServerExceptionMapper
    public Response tether(TetherException e, UriInfo uri) {
        if (e.code().status() >= 500) {
            LOG.warnf("%s: %s", e.code().code(), e.getMessage());
        }
        return problem(e.code(), e.getMessage(), e.field(), uri);
    }

    /** Quarkus maps this subtype itself unless a mapper names it. */
    @ServerExceptionMapper
    public Response mismatch(MismatchedInputException e, UriInfo uri) {
        return json(e, uri);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException e, UriInfo uri) {
        if (e instanceof StreamReadException || e.getCause() instanceof StreamReadException) {
            return malformed(e, uri);
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String field = path(u);
            return problem(ErrorCode.UNKNOWN_FIELD, "unknown field " + field, field, uri);
        }
        if (e instanceof MismatchedInputException m && m.getPath().isEmpty()) {
            return problem(ErrorCode.MALFORMED_REQUEST, "request body must be a JSON object", null, uri);
        }
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            String field = path(m);
            return problem(ErrorCode.INVALID_FIELD, field + " has the wrong type", field, uri);
        }
        return malformed(e, uri);
    }

    private Response malformed(JsonProcessingException e, UriInfo uri) {
        // the parser's message quotes the input, which may hold a password: say where, not what
        String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                + ", column " + e.getLocation().getColumnNr();
        return problem(ErrorCode.MALFORMED_REQUEST, "request body is not valid JSON" + where, null, uri);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e, UriInfo uri) {
        int status = e.getResponse().getStatus();
        if (e.getCause() instanceof JsonProcessingException j) {
            return json(j, uri);
        }
        String code = status == 404 ? "not_found" : status == 405 ? "method_not_allowed"
                : status == 415 ? "unsupported_media_type" : status == 413 ? "body_too_large" : "http_" + status;
        Problem p = new Problem("urn:tether:problem:" + code, e.getResponse().getStatusInfo().getReasonPhrase(),
                status, e.getResponse().getStatusInfo().getReasonPhrase(), code, null, uri.getPath());
        return Response.status(status).type(Problem.MEDIA_TYPE).entity(p).build();
    }

    @ServerExceptionMapper(priority = jakarta.ws.rs.Priorities.USER + 100)
    public Response unexpected(Exception e, UriInfo uri) {
        LOG.error("unexpected failure on " + uri.getPath(), e);
        return problem(ErrorCode.INTERNAL, "internal error; see the agent log", null, uri);
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    Response problem(ErrorCode code, String detail, String field, UriInfo uri) {
        if (meters != null) {
            meters.counter("tether.problems", "code", code.code(), "status", Integer.toString(code.status()))
                    .increment();
        }
        Problem p = new Problem("urn:tether:problem:" + code.code(), code.title(), code.status(), detail,
                code.code(), field, uri == null ? null : uri.getPath());
        Response.ResponseBuilder r = Response.status(code.status()).type(Problem.MEDIA_TYPE)
                .header(PROBLEM_HEADER, code.code()).entity(p);
        if (code.status() == 503) {
            r.header("Retry-After", "5"); // every 503 is retryable: a dependency is away or the agent not ready
        }
        return r.build();
    }
}
