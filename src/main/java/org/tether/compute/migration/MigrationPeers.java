package org.tether.compute.migration;

import jakarta.enterprise.context.ApplicationScoped;
import org.tether.config.TetherConfig;
import org.tether.config.MigrationConfig;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.peer.PeerApi;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The Tether agents this one may migrate to ({@code tether.migration.peers.<name>}) and their API: a destination
 * named nowhere in the configuration is refused, so a caller cannot make this host's libvirtd or agent connect to
 * an address of its choosing. Calls carry the peer's token, read at each call (a rotated token file takes effect).
 */
@ApplicationScoped
public class MigrationPeers {
    private final Map<String, MigrationConfig.Peer> peers;
    private final Duration timeout;
    private final PeerApi api;

    public MigrationPeers(TetherConfig config, PeerApi api) {
        this.peers = config.migration().peers();
        this.timeout = config.migration().peerTimeout();
        this.api = api;
    }

    /** The named peer, or 400 {@code migration_peer_not_found}. */
    public MigrationConfig.Peer peer(String name) {
        MigrationConfig.Peer p = name == null ? null : peers.get(name);
        if (p == null) {
            throw new TetherException(ErrorCode.MIGRATION_PEER_NOT_FOUND, "destination", "no migration peer named "
                    + name + " (tether.migration.peers.<name>): " + (peers.isEmpty() ? "none are configured"
                    : "configured are " + String.join(", ", new java.util.TreeSet<>(peers.keySet()))));
        }
        return p;
    }

    /**
     * Calls the peer's API. A peer that does not answer (refused, reset, timed out) is 503
     * {@code migration_peer_unavailable}; any answer, even a refusal, is returned for the caller to judge.
     */
    public PeerApi.Reply call(String name, String method, String path, Object body) {
        MigrationConfig.Peer p = peer(name);
        try {
            return api.call(new PeerApi.Endpoint("migration-" + name, p.url(), p.tokenFile(), p.caFile(), timeout),
                    method, path, body);
        } catch (IOException e) {
            throw new TetherException(ErrorCode.MIGRATION_PEER_UNAVAILABLE, "migration peer " + name
                    + " at " + p.url() + " did not answer " + method + " " + path + ": " + e, e);
        }
    }
}
