package org.tether.operations;

import io.quarkus.scheduler.Scheduled;
import jakarta.enterprise.context.ApplicationScoped;
import org.jboss.logging.Logger;
import org.tether.config.TetherConfig;
import org.tether.config.CallbacksConfig;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Delivers finished operations to their callback URL: a POST of the operation as JSON, signed
 * (HMAC-SHA256 of the body), with a delivery id that stays the same across attempts. Retries with
 * exponential backoff on anything but a 2xx, survives restarts (the schedule is in the operation record),
 * and gives up after the configured time, recording why.
 */
@ApplicationScoped
public class CallbackSender {
    private static final Logger LOG = Logger.getLogger(CallbackSender.class);
    static final String SIGNATURE = "Tether-Signature";
    static final String DELIVERY = "Tether-Delivery";
    static final String OPERATION = "Tether-Operation";

    private final OperationStore store;
    private final CallbackSigner signer;
    private final CallbacksConfig config;
    private final Clock clock;
    private final HttpClient http;
    private final OperationView view;

    public CallbackSender(OperationStore store, CallbackSigner signer, TetherConfig config, Clock clock,
                          OperationView view) {
        this.view = view;
        this.store = store;
        this.signer = signer;
        this.config = config.callbacks();
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(this.config.timeout()).build();
    }

    /**
     * Every delivery whose next attempt is due (after a failed attempt, or pending when the agent stopped) is
     * attempted, one after the other; a pass still running when the next is due makes that one skip.
     */
    @Scheduled(every = "${tether.callbacks.sweep-interval:1s}", concurrentExecution = Scheduled.ConcurrentExecution.SKIP,
            identity = "callback-sweep")
    void sweep() {
        Instant now = clock.instant();
        for (OperationRecord r : store.all()) {
            if (r.delivery() != null && r.delivery().state() == OperationRecord.DeliveryState.PENDING
                    && !r.delivery().nextAttemptAt().isAfter(now)) {
                attempt(r.id());
            }
        }
    }

    /** The first attempt, at once, on the caller's thread (the operation's worker); the sweep does the rest. */
    public void deliver(String operationId) {
        attempt(operationId);
    }

    /** Operations whose callback is being sent now: the sweep must not send one the worker is sending. */
    private final java.util.Set<String> sending = java.util.concurrent.ConcurrentHashMap.newKeySet();

    void attempt(String id) {
        // the first attempt runs on the operation's worker while the sweep may find the same delivery due: one
        // attempt at a time per operation, or the receiver gets it twice and the record counts one of the two
        if (!sending.add(id)) {
            return;
        }
        try {
            send(id);
        } finally {
            sending.remove(id);
        }
    }

    private void send(String id) {
        OperationRecord r = store.find(id).orElse(null);
        if (r == null || r.delivery() == null || r.delivery().state() != OperationRecord.DeliveryState.PENDING) {
            return;
        }
        OperationRecord.Delivery d = r.delivery();
        byte[] body = view.callbackBody(r);
        String error;
        try {
            HttpResponse<Void> resp = http.send(HttpRequest.newBuilder(URI.create(d.url())).timeout(config.timeout())
                    .header("Content-Type", "application/json").header(SIGNATURE, signer.sign(clock.instant().getEpochSecond(), body))
                    .header(DELIVERY, d.deliveryId()).header(OPERATION, r.id())
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.discarding());
            if (resp.statusCode() / 100 == 2) {
                store.put(r.withDelivery(d.attempted(OperationRecord.DeliveryState.DELIVERED, null, null)));
                LOG.infof("delivered operation %s to its callback (attempt %d)", id, d.attempts() + 1);
                return;
            }
            error = "receiver answered " + resp.statusCode();
        } catch (java.io.IOException e) {
            error = "receiver unreachable: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        Instant now = clock.instant();
        if (!now.isBefore(d.giveUpAt())) {
            store.put(r.withDelivery(d.attempted(OperationRecord.DeliveryState.GAVE_UP, null,
                    error + "; gave up after " + (d.attempts() + 1) + " attempts")));
            LOG.warnf("gave up delivering operation %s: %s", id, error);
            return;
        }
        long backoff = Math.min(config.maxRetry().toMillis(), config.firstRetry().toMillis() << Math.min(20,
                d.attempts()));
        Instant next = now.plusMillis(backoff);
        store.put(r.withDelivery(d.attempted(OperationRecord.DeliveryState.PENDING, next, error)));
    }
}
