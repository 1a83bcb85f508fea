package org.tether.openstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.jboss.logging.Logger;
import org.tether.config.CinderConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * HTTP to Keystone and Cinder: TLS trusting the configured CA, a connect and a request timeout, and bounded
 * repeats with jittered exponential backoff after a 5xx, a connection error or a timeout. Every other answer
 * (2xx, 3xx, 4xx) is returned at once: repeating a refusal cannot change it.
 */
final class OpenStackHttp {
    private static final Logger LOG = Logger.getLogger(OpenStackHttp.class);

    /** Waits between attempts; injected so tests need not wait. */
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    /** An answer with its body read, and the agent's mapper to read it with. */
    record Reply(int status, java.net.http.HttpHeaders headers, byte[] body, ObjectMapper mapper) {
        Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        JsonNode json(String service) {
            try {
                return mapper.readTree(body);
            } catch (IOException e) {
                throw new TetherException(ErrorCode.OPENSTACK_BAD_REPLY, service + " answered " + status
                        + " with a body that is not JSON");
            }
        }

        /** The message OpenStack puts in its error bodies ({"itemNotFound": {"message": ...}}), shortened. */
        String message() {
            try {
                JsonNode root = mapper.readTree(body);
                JsonNode error = root == null ? null : root.path("error").isObject() ? root.path("error")
                        : root.size() == 1 ? root.elements().next() : null;
                String text = error == null ? null : error.path("message").asText(null);
                if (text == null) {
                    return "";
                }
                return ": " + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
            } catch (IOException | RuntimeException e) {
                return "";
            }
        }
    }

    private final HttpClient http;
    private final CinderConfig config;
    private final Sleeper sleeper;
    private final RandomGenerator random;
    private final ObjectMapper json;

    OpenStackHttp(CinderConfig config, Sleeper sleeper, RandomGenerator random, ObjectMapper json) {
        this.json = json;
        this.config = config;
        this.sleeper = sleeper;
        this.random = random;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout()).followRedirects(HttpClient.Redirect.NEVER);
        config.caFile().ifPresent(ca -> b.sslContext(Tls.trusting(ca)));
        this.http = b.build();
    }

    /** An empty JSON object for a request body. */
    com.fasterxml.jackson.databind.node.ObjectNode object() {
        return json.createObjectNode();
    }

    JsonNode tree(Object value) {
        return json.valueToTree(value);
    }

    byte[] bytes(JsonNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Sends the request {@code request} builds (again for every attempt) and returns the first answer that is
     * not a 5xx. After the last attempt a 5xx is {@code openstack_unavailable}, a timeout {@code openstack_timeout}.
     */
    Reply send(String service, Supplier<HttpRequest.Builder> request) {
        return send(service, request, r -> false);
    }

    /**
     * The same, but a 5xx that {@code definitive} recognises as a refusal (a service that wraps "this volume is in
     * error" in a 500) is returned at once: repeating it cannot change it.
     */
    Reply send(String service, Supplier<HttpRequest.Builder> request, java.util.function.Predicate<Reply> definitive) {
        int attempts = config.retries() + 1;
        String lastFailure = null;
        for (int attempt = 1; ; attempt++) {
            HttpRequest req = request.get().timeout(config.timeout()).build();
            Duration retryAfter = Duration.ZERO;
            boolean timedOut = false;
            try {
                HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
                Reply reply = new Reply(resp.statusCode(), resp.headers(), resp.body(), json);
                if (reply.status() < 500 || definitive.test(reply)) {
                    return reply;
                }
                lastFailure = service + " answered " + reply.status() + reply.message();
                retryAfter = retryAfter(reply);
            } catch (HttpTimeoutException e) {
                timedOut = true;
                lastFailure = service + " did not answer " + req.method() + " " + req.uri().getPath() + " within "
                        + (e instanceof java.net.http.HttpConnectTimeoutException ? config.connectTimeout()
                        : config.timeout());
            } catch (javax.net.ssl.SSLException e) {
                // a certificate the CA does not vouch for stays so: repeating only delays the answer
                throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, service + " at " + req.uri().getHost()
                        + ":" + req.uri().getPort() + " failed TLS (" + e.getClass().getSimpleName() + ": "
                        + e.getMessage() + "); check tether.cinder.ca-file");
            } catch (IOException e) {
                lastFailure = service + " unreachable at " + req.uri().getHost() + ":" + req.uri().getPort() + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, service + " call interrupted");
            }
            if (attempt >= attempts) {
                throw new TetherException(timedOut ? ErrorCode.OPENSTACK_TIMEOUT : ErrorCode.OPENSTACK_UNAVAILABLE,
                        lastFailure + " (" + attempts + " attempts)");
            }
            Duration wait = backoff(attempt, retryAfter);
            LOG.warnf("%s; attempt %d of %d, next in %d ms", lastFailure, attempt, attempts, wait.toMillis());
            pause(wait, service);
        }
    }

    /**
     * One request sent once whatever the answer (its body is large, or not to be sent twice): a connection error
     * or a timeout is {@code openstack_unavailable} or {@code openstack_timeout} at once.
     */
    Reply sendOnce(String service, Duration timeout, Supplier<HttpRequest.Builder> request) {
        HttpRequest req = request.get().timeout(timeout).build();
        try {
            HttpResponse<byte[]> resp = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
            return new Reply(resp.statusCode(), resp.headers(), resp.body(), json);
        } catch (HttpTimeoutException e) {
            throw new TetherException(ErrorCode.OPENSTACK_TIMEOUT, service + " did not answer " + req.method() + " "
                    + req.uri().getPath() + " in time");
        } catch (IOException e) {
            throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, service + " " + req.method() + " "
                    + req.uri().getPath() + " failed (" + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, service + " call interrupted");
        }
    }

    /**
     * One request whose body is read as it arrives (an image's data): no repeats, since the caller may have
     * consumed part of it. The timeout bounds the wait for the answer's headers only.
     */
    HttpResponse<InputStream> open(String service, HttpRequest.Builder request) {
        HttpRequest req = request.timeout(config.timeout()).build();
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, service + " " + req.uri().getPath()
                    + " failed (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": "
                    + e.getMessage()) + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.IMAGE_DOWNLOAD_FAILED, service + " call interrupted");
        }
    }

    /** Half to all of retry-delay × 2^(attempt-1), capped; a Retry-After within the cap is honoured. */
    Duration backoff(int attempt, Duration retryAfter) {
        Duration jittered = new org.tether.concurrent.Retry(config.retries() + 1, config.retryDelay(),
                config.maxRetryDelay(), true).delay(attempt, random);
        long honoured = Math.min(config.maxRetryDelay().toMillis(), retryAfter.toMillis());
        return Duration.ofMillis(Math.max(jittered.toMillis(), honoured));
    }

    private static Duration retryAfter(Reply reply) {
        return reply.header("Retry-After").map(v -> {
            try {
                return Duration.ofSeconds(Long.parseLong(v.strip()));
            } catch (NumberFormatException e) {
                return Duration.ZERO;   // the HTTP-date form is not worth a parser here
            }
        }).orElse(Duration.ZERO);
    }

    private void pause(Duration wait, String service) {
        try {
            sleeper.sleep(wait);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.OPENSTACK_UNAVAILABLE, service + " call interrupted");
        }
    }
}
