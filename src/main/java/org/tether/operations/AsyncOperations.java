package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.runtime.StartupEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.CallbacksConfig;
import org.tether.security.InternalCalls;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * Runs any mutating {@code /v1} call asynchronously when asked ({@code Prefer: respond-async}, or a
 * {@code callback_url} in the body): answers 202 with {@code Location: /v1/operations/{id}} at once, then
 * makes the very same call to this agent over loopback (same validation, locks and journal as a direct call)
 * and records its answer. An {@code Idempotency-Key} names the operation: the same key returns the same one.
 */
@ApplicationScoped
public class AsyncOperations {
    private static final Logger LOG = Logger.getLogger(AsyncOperations.class);
    private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE);
    private static final Pattern KEY = Pattern.compile("[\\x21-\\x7e]{1,200}");
    private static final String BUFFERED = "tether.async.buffered";

    private final OperationStore store;
    private final CallbackSender sender;
    private final CallbackSigner signer;
    private final InternalCalls internal;
    private final CallbacksConfig callbacks;
    private final Duration timeout;
    private final Clock clock;
    private final SelfCall self;
    private final jakarta.enterprise.inject.Instance<AlwaysAsync> alwaysAsync;
    private final ObjectMapper json;
    private final OperationView view;
    private final ResultRedaction redaction;
    private final BodyHandler bodies;
    private final ExecutorService workers = Executors.newFixedThreadPool(16, r -> {
        Thread t = new Thread(r, "tether-async");
        t.setDaemon(true);
        return t;
    });

    public AsyncOperations(OperationStore store, CallbackSender sender, CallbackSigner signer, InternalCalls internal,
                           TetherConfig config, Clock clock, SelfCall self,
                           jakarta.enterprise.inject.Instance<AlwaysAsync> alwaysAsync, ObjectMapper json,
                           OperationView view,
                           @org.eclipse.microprofile.config.inject.ConfigProperty(name = "quarkus.http.limits.max-body-size",
                                   defaultValue = "10M") io.quarkus.runtime.configuration.MemorySize maxBody) {
        this.bodies = BodyHandler.create(false).setBodyLimit(maxBody.asLongValue());
        this.json = json;
        this.view = view;
        this.redaction = new ResultRedaction(json);
        this.self = self;
        this.alwaysAsync = alwaysAsync;
        this.store = store;
        this.sender = sender;
        this.signer = signer;
        this.internal = internal;
        this.callbacks = config.callbacks();
        this.timeout = config.operations().timeout();
        this.clock = clock;
    }

    /** Operations that were running when the agent stopped end as failed, and their callbacks go out. */
    void onStart(@Observes @Priority(1500) StartupEvent event) {
        for (OperationRecord r : store.all()) {
            if (r.state() == OperationRecord.State.RUNNING) {
                store.put(r.finished(503, redaction.redact(problem(503, "interrupted", "the agent restarted while this operation "
                        + "ran; recovery finished or undid its host changes: repeat the call to know where it stands")),
                        clock.instant()));
            }
        }
    }

    void install(@Observes Router router) {
        router.route().order(org.tether.security.CallAudit.ORDER + 10).handler(this::buffer);
        router.route().order(org.tether.security.CallAudit.ORDER + 11).handler(this::handle);
    }

    /**
     * Reads the body of a call that may run asynchronously with Vert.x's own {@link BodyHandler} (bounded by
     * the API's body limit; the audit guard before this refused a larger Content-Length), which hands the same
     * buffer on to RESTEasy when the call runs synchronously after all.
     */
    private void buffer(RoutingContext ctx) {
        String path = ctx.normalizedPath();
        if (!path.startsWith("/v1/") || path.startsWith("/v1/operations") || !MUTATING.contains(ctx.request().method())
                || ctx.request().getHeader(InternalCalls.HEADER) != null) {
            // an internal call got here only if its token held: Quarkus Security refused a forged one
            ctx.next();
            return;
        }
        if (ctx.request().version() == io.vertx.core.http.HttpVersion.HTTP_2) {
            ctx.next(); // HTTP/2 is off (application.properties)
            return;
        }
        String encoding = ctx.request().getHeader("Transfer-Encoding");
        if (encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("chunked")) {
            // a chunked body is not buffered here (no length to bound it by): such a call runs synchronously
            String prefer = ctx.request().getHeader("Prefer");
            if (prefer != null && prefer.contains("respond-async")) {
                reply(ctx, 411, problem(411, "length_required", "asynchronous calls need a Content-Length"));
                return;
            }
            ctx.next();
            return;
        }
        ctx.put(BUFFERED, Boolean.TRUE);
        bodies.handle(ctx); // calls ctx.next() once the body is read
    }

    private void handle(RoutingContext ctx) {
        if (ctx.get(BUFFERED) == null) {
            ctx.next();
            return;
        }
        Buffer body = ctx.body().available() && ctx.body().buffer() != null ? ctx.body().buffer() : Buffer.buffer();
        String path = ctx.normalizedPath();
        JsonNode tree = tree(body); // once per call, on the event loop: the resource parses the body itself
        String callback = callbackUrl(tree);
        String prefer = ctx.request().getHeader("Prefer");
        if (callback == null && (prefer == null || !prefer.contains("respond-async"))
                && !alwaysAsync(ctx.request().method().name(), path, tree)) {
            ctx.next();
            return;
        }
        start(ctx, path, body, callback);
    }

    private void start(RoutingContext ctx, String path, Buffer body, String callback) {
        if (callback != null) {
            String why = invalidCallback(callback);
            if (why != null) {
                reply(ctx, 400, problem(400, "invalid_field", why, "callback_url"));
                return;
            }
        }
        String key = ctx.request().getHeader("Idempotency-Key");
        if (key != null) {
            if (!KEY.matcher(key).matches()) {
                reply(ctx, 400, problem(400, "invalid_field", "Idempotency-Key must be 1-200 visible ASCII characters",
                        "Idempotency-Key"));
                return;
            }
            var existing = store.byKey(internal.caller(ctx), key);
            if (existing.isPresent()) {
                OperationRecord e = existing.get();
                if (!e.method().equals(ctx.request().method().name()) || !e.path().equals(path)) {
                    reply(ctx, 409, problem(409, "idempotency_conflict", "Idempotency-Key " + key
                            + " names an operation for " + e.method() + " " + e.path()));
                } else {
                    accepted(ctx, e);
                }
                return;
            }
        }
        String id = UUID.randomUUID().toString();
        OperationRecord.Delivery delivery = callback == null ? null : new OperationRecord.Delivery(callback,
                UUID.randomUUID().toString(), OperationRecord.DeliveryState.WAITING, 0, null,
                clock.instant().plus(callbacks.giveUpAfter()), null);
        OperationRecord r = new OperationRecord(id, key, ctx.request().method().name(), path,
                OperationRecord.State.RUNNING, 0, null, internal.caller(ctx), delivery, clock.instant(), null);
        store.put(r);
        accepted(ctx, r);
        byte[] forward = withoutCallback(body);
        String query = ctx.request().query();
        String type = ctx.request().getHeader("Content-Type");
        workers.submit(() -> runGuarded(r, query, type, forward));
    }

    /** Whatever goes wrong, the operation ends: it never stays running. */
    private void runGuarded(OperationRecord r, String query, String contentType, byte[] body) {
        try {
            run(r, query, contentType, body);
        } catch (RuntimeException | Error e) {
            LOG.errorf(e, "operation %s (%s %s) could not run", r.id(), r.method(), r.path());
            finish(r, 500, problem(500, "internal", "the operation could not be run: " + e.getClass().getSimpleName()));
        }
    }

    private void run(OperationRecord r, String query, String contentType, byte[] body) {
        int status;
        String result;
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(self.uri(r.path(), query)).timeout(timeout)
                    .header(InternalCalls.HEADER, internal.token()).header(InternalCalls.ON_BEHALF_OF, r.caller())
                    .method(r.method(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            if (contentType != null) {
                b.header("Content-Type", contentType);
            }
            HttpResponse<String> resp = self.client().send(b.build(), HttpResponse.BodyHandlers.ofString());
            status = resp.statusCode();
            result = resp.body();
        } catch (java.net.http.HttpTimeoutException e) {
            status = 504;
            result = problem(504, "operation_timeout", "the operation ran longer than tether.operations.timeout ("
                    + timeout + "); the agent's recovery finishes or undoes what it was doing");
        } catch (java.io.IOException e) {
            status = 500;
            result = problem(500, "internal", "the operation could not be run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            status = 503;
            result = problem(503, "interrupted", "the agent stopped while this operation ran");
        }
        finish(r, status, result);
    }

    private void finish(OperationRecord r, int status, String result) {
        OperationRecord done = store.find(r.id()).orElse(r).finished(status, redaction.redact(result), clock.instant());
        store.put(done);
        LOG.infof("operation %s (%s %s) finished: %d", r.id(), r.method(), r.path(), status);
        if (done.delivery() != null) {
            sender.deliver(done.id());
        }
    }

    private void accepted(RoutingContext ctx, OperationRecord r) {
        ctx.response().putHeader("Location", "/v1/operations/" + r.id());
        reply(ctx, 202, write(view.withDelivery(r)));
    }

    private static void reply(RoutingContext ctx, int status, String json) {
        ctx.response().setStatusCode(status).putHeader("Content-Type",
                status >= 400 ? "application/problem+json" : "application/json").end(json);
    }

    private String invalidCallback(String url) {
        if (!signer.configured()) {
            return "callbacks are signed: set tether.callbacks.secret-file first";
        }
        try {
            URI u = URI.create(url);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null
                    || u.getUserInfo() != null) {
                return "callback_url must be an http(s) URL with a host and no user info";
            }
            String host = u.getHost().replace("[", "").replace("]", "").toLowerCase(java.util.Locale.ROOT);
            if (callbacks.allowedHosts().orElse(java.util.List.of()).stream()
                    .noneMatch(h -> h.strip().toLowerCase(java.util.Locale.ROOT).equals(host))) {
                return "callback_url host " + host + " is not in tether.callbacks.allowed-hosts";
            }
            if ("http".equals(u.getScheme()) && !loopback(host)) {
                return "callback_url must be https unless it names this host's loopback";
            }
            return null;
        } catch (IllegalArgumentException e) {
            return "callback_url is not a URL";
        }
    }

    private static boolean loopback(String host) {
        try {
            return host.equals("localhost") || java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private boolean alwaysAsync(String method, String path, JsonNode n) {
        for (AlwaysAsync a : alwaysAsync) {
            if (a.appliesTo(method, path, n)) {
                return true;
            }
        }
        return false;
    }

    private static String callbackUrl(JsonNode n) {
        return n != null && n.isObject() && n.get("callback_url") != null && n.get("callback_url").isTextual()
                ? n.get("callback_url").asText() : null;
    }

    private byte[] withoutCallback(Buffer body) {
        JsonNode n = tree(body);
        if (n instanceof ObjectNode o && o.has("callback_url")) {
            o.remove("callback_url");
            return write(o).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        return body.getBytes();
    }

    private JsonNode tree(Buffer body) {
        try {
            return body.length() == 0 ? null : json.readTree(body.getBytes());
        } catch (java.io.IOException e) {
            return null; // not JSON: the resource answers that itself
        }
    }

    private String write(Object o) {
        try {
            return json.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    String problem(int status, String code, String detail) {
        return problem(status, code, detail, null);
    }

    String problem(int status, String code, String detail, String field) {
        java.util.Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("type", "urn:tether:problem:" + code);
        p.put("status", status);
        p.put("detail", detail);
        p.put("code", code);
        if (field != null) {
            p.put("field", field);
        }
        return write(p);
    }

}
