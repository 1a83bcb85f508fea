package org.tether.operations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/** An operation as GET /v1/operations/{id} and the callbacks show it; the same bytes every time. */
@jakarta.enterprise.context.ApplicationScoped
public class OperationView {
    private final ObjectMapper json;

    public OperationView(ObjectMapper json) {
        this.json = json;
    }

    public Map<String, Object> of(OperationRecord r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("state", r.state().name().toLowerCase(java.util.Locale.ROOT));
        m.put("method", r.method());
        m.put("path", r.path());
        if (r.idempotencyKey() != null) {
            m.put("idempotency_key", r.idempotencyKey());
        }
        if (r.status() != 0) {
            m.put("status", r.status());
            m.put("result", parse(r.result()));
        }
        m.put("created_at", r.createdAt().toString());
        if (r.finishedAt() != null) {
            m.put("finished_at", r.finishedAt().toString());
        }
        return m;
    }

    /** With the callback's delivery state, for GET (the callback body itself never carries it). */
    public Map<String, Object> withDelivery(OperationRecord r) {
        Map<String, Object> m = of(r);
        if (r.delivery() != null) {
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("url", r.delivery().url());
            d.put("delivery_id", r.delivery().deliveryId());
            d.put("state", r.delivery().state().name().toLowerCase(java.util.Locale.ROOT));
            d.put("attempts", r.delivery().attempts());
            if (r.delivery().lastError() != null) {
                d.put("last_error", r.delivery().lastError());
            }
            m.put("callback", d);
        }
        return m;
    }

    byte[] callbackBody(OperationRecord r) {
        try {
            return json.writeValueAsBytes(of(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode parse(String result) {
        try {
            return result == null || result.isEmpty() ? null : json.readTree(result);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return json.getNodeFactory().textNode(result);
        }
    }
}
