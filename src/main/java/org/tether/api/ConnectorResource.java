package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.tether.compute.connector.ConnectorProperties;
import org.tether.compute.connector.HostConnector;

@Path("/v1/connector")
@Produces(MediaType.APPLICATION_JSON)
public class ConnectorResource {
    private final HostConnector connector;

    public ConnectorResource(HostConnector connector) {
        this.connector = connector;
    }

    @GET
    @Operation(summary = "This host's connector properties, exactly as os-brick reports them")
    @APIResponse(responseCode = "200", description = "os-brick's connector properties")
    public ConnectorProperties get() {
        return connector.properties();
    }
}
