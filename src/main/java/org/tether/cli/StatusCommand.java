package org.tether.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code tetherctl status}: each health check with its data (mode, libvirt, the state directory, the stores...)
 * and, in compute mode, the last reconciliation's figures. Exit 1 when the agent is not UP.
 */
@Command(name = "status", description = "Health checks and the last reconciliation; exit 1 unless UP.")
final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    Tetherctl root;

    @Override
    public Integer call() {
        AgentClient.Reply health = root.client().get("/q/health");
        if (health.body() == null || !health.body().has("checks")) {
            throw new Tetherctl.ProblemAnswer(health);
        }
        AgentClient.Reply rec = root.client().get("/v1/reconciliation");
        JsonNode reconciliation = rec.ok() ? rec.body() : null;
        boolean up = "UP".equals(health.body().path("status").asText());
        if (root.output == Output.TABLE) {
            root.out.println("agent " + root.client().url() + ": " + health.body().path("status").asText());
            root.print(distinct(health.body().path("checks")), List.of(Output.Column.of("name"),
                    Output.Column.of("status"), Output.Column.of("data")));
            if (reconciliation != null && reconciliation.has("at")) {
                root.out.printf("last reconciliation %s: %s attachments checked, %s with drift, %s unowned "
                        + "sessions, %s unowned disks, %s errors%n", reconciliation.path("at").asText(),
                        reconciliation.path("attachments_checked").asText(), reconciliation.path("drift").size(),
                        reconciliation.path("unowned_sessions").size(), reconciliation.path("unowned_disks").size(),
                        reconciliation.path("errors").size());
            }
            root.out.flush();
        } else {
            ObjectNode all = AgentClient.JSON.createObjectNode();
            all.set("health", health.body());
            all.set("reconciliation", reconciliation);
            root.print(all, List.of(Output.Column.of("health.status")));
        }
        return up ? 0 : Tetherctl.PROBLEM;
    }

    /**
     * Each check once: {@code /q/health} lists a check once per group it is in (reconciliation is both a readiness
     * and a startup check), which a table would show twice.
     */
    static ArrayNode distinct(JsonNode checks) {
        ArrayNode once = AgentClient.JSON.createArrayNode();
        java.util.Set<JsonNode> seen = new java.util.HashSet<>();
        checks.forEach(c -> {
            if (seen.add(c)) {
                once.add(c);
            }
        });
        return once;
    }
}
