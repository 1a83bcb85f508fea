package org.tether.operations;

import java.time.Instant;

/**
 * One asynchronous operation: the call it runs, its outcome, and the delivery of that outcome to the
 * caller's callback URL. Persisted so that a restart neither loses a result nor a pending delivery. Holds no
 * request body and no credential.
 *
 * @param status   the HTTP status the call answered (0 while it runs)
 * @param result   the call's JSON answer (the resource, or its problem+json)
 * @param delivery the callback's state, or null without a callback URL
 */
public record OperationRecord(String id, String idempotencyKey, String method, String path, State state, int status,
                              String result, String caller, Delivery delivery, Instant createdAt, Instant finishedAt) {

    public enum State { RUNNING, SUCCEEDED, FAILED }

    /** @param deliveryId the same for every attempt of this delivery, so a receiver can drop repeats */
    public record Delivery(String url, String deliveryId, DeliveryState state, int attempts, Instant nextAttemptAt,
                           Instant giveUpAt, String lastError) {

        public Delivery attempted(DeliveryState next, Instant nextAt, String error) {
            return new Delivery(url, deliveryId, next, attempts + 1, nextAt, giveUpAt, error);
        }
    }

    public enum DeliveryState { WAITING, PENDING, DELIVERED, GAVE_UP }

    /** The finished operation; its result is kept without any secret it held (see {@link ResultRedaction}). */
    OperationRecord finished(int status, ResultRedaction.Redacted redacted, Instant now) {
        String result = redacted.json();
        State s = status >= 200 && status < 300 ? State.SUCCEEDED : State.FAILED;
        Delivery d = delivery == null ? null : new Delivery(delivery.url(), delivery.deliveryId(),
                DeliveryState.PENDING, delivery.attempts(), now, delivery.giveUpAt(), delivery.lastError());
        return new OperationRecord(id, idempotencyKey, method, path, s, status, result, caller, d, createdAt, now);
    }

    public OperationRecord withDelivery(Delivery d) {
        return new OperationRecord(id, idempotencyKey, method, path, state, status, result, caller, d, createdAt,
                finishedAt);
    }
}
