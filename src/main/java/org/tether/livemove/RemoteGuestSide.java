package org.tether.livemove;

import com.fasterxml.jackson.databind.JsonNode;
import org.jboss.logging.Logger;
import org.tether.config.StorageConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.peer.PeerApi;
import org.tether.storage.volume.VolumeRecord;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The guest runs on another host, whose compute agent this storage agent names
 * ({@code tether.storage.compute-agents.<name>}): asked through its API, as a controller would ask it (its
 * attachments, the move of an attached volume as an operation followed to its end).
 */
final class RemoteGuestSide implements GuestSide {
    private static final Logger LOG = Logger.getLogger(RemoteGuestSide.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    private final PeerApi api;
    private final PeerApi.Endpoint agent;
    private final Duration moveTimeout;
    private final List<String> initiators;

    RemoteGuestSide(PeerApi api, String name, StorageConfig.ComputeAgent config, Duration moveTimeout) {
        this.api = api;
        this.agent = new PeerApi.Endpoint("compute-agent-" + name, config.url(), config.tokenFile(),
                config.caFile(), config.timeout());
        this.moveTimeout = moveTimeout;
        this.initiators = List.copyOf(config.initiators());
    }

    /** Whether every one of these initiators is this agent's host's. */
    boolean serves(List<String> exportedTo) {
        return initiators.containsAll(exportedTo);
    }

    @Override
    public String name() {
        return "compute agent " + agent.name().substring("compute-agent-".length()) + " (" + agent.url() + ")";
    }

    @Override
    public Using using(VolumeRecord r, String current) {
        List<JsonNode> using = attachments(r.id()).stream()
                .filter(a -> GuestSide.mentions(a.toString(), current)).toList();
        InUseVolumeMoves.requireOne(r, using.size(), name());
        return new Using(using.get(0).path("domain").asText(), using.get(0).path("attach_path").asText("qemu"));
    }

    /** The compute agent's attachments of the volume; 503 when it does not answer, 502 when it refuses. */
    private List<JsonNode> attachments(UUID volumeId) {
        PeerApi.Reply reply = call("GET", "/v1/attachments", null);
        if (!reply.ok() || reply.body() == null || !reply.body().isArray()) {
            throw new TetherException(ErrorCode.MOVE_FAILED, name() + " answered GET /v1/attachments with "
                    + reply.problem());
        }
        List<JsonNode> out = new ArrayList<>();
        reply.body().forEach(a -> {
            if (volumeId.toString().equals(a.path("volume_id").asText())) {
                out.add(a);
            }
        });
        return out;
    }

    @Override
    public void move(Using using, UUID volumeId, Map<String, Object> connectionInfo, Long bandwidthMibS) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("connection_info", connectionInfo);
        body.put("attach_path", using.attachPath());
        if (bandwidthMibS != null) {
            body.put("bandwidth_mib_s", bandwidthMibS);
        }
        String path = "/v1/instances/" + using.domain() + "/volumes/" + volumeId + "/move";
        PeerApi.Reply accepted = call("POST", path, body);
        if (accepted.status() == 200) {
            return;
        }
        if (accepted.status() != 202 || accepted.location() == null) {
            throw new TetherException(ErrorCode.MOVE_FAILED, name() + " refused the move of " + volumeId + " on "
                    + using.domain() + ": " + accepted.problem());
        }
        long end = System.nanoTime() + moveTimeout.toNanos();
        while (System.nanoTime() < end) {
            PeerApi.Reply op = call("GET", accepted.location(), null);
            String state = op.body() == null ? "" : op.body().path("state").asText();
            if (state.equals("succeeded")) {
                return;
            }
            if (!state.equals("running")) {
                JsonNode result = op.body() == null ? null : op.body().path("result");
                throw new TetherException(ErrorCode.MOVE_FAILED, name() + ": the move of " + volumeId + " on "
                        + using.domain() + " ended " + state + (result == null ? "" : ": "
                        + result.path("code").asText() + ": " + result.path("detail").asText()));
            }
            sleep();
        }
        throw new TetherException(ErrorCode.MOVE_FAILED, name() + ": the move of " + volumeId + " on "
                + using.domain() + " did not end within " + moveTimeout);
    }

    @Override
    public Where where(UUID volumeId, String copy) {
        List<JsonNode> using;
        try {
            using = attachments(volumeId);
        } catch (TetherException e) {
            LOG.warnf("cannot ask %s where volume %s is read: %s", name(), volumeId, e.getMessage());
            return Where.UNSETTLED;
        }
        if (using.stream().anyMatch(a -> !a.path("state").asText().equals("attached"))) {
            return Where.UNSETTLED; // moving, or anything else in flight: its own settle pass ends it first
        }
        if (using.stream().anyMatch(a -> GuestSide.mentions(a.toString(), copy))) {
            return Where.COPY;
        }
        return using.isEmpty() ? Where.NO_ATTACHMENT : Where.ORIGINAL;
    }

    private PeerApi.Reply call(String method, String path, Object body) {
        try {
            return api.call(agent, method, path, body);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.COMPUTE_AGENT_UNAVAILABLE, name() + " did not answer " + method + " " + path
                    + ": " + e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TetherException(ErrorCode.INTERNAL, "interrupted while following a move");
        }
    }
}
