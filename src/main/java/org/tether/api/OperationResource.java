package org.tether.api;

import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;

import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.tether.error.ErrorCode;
import org.tether.error.TetherException;
import org.tether.operations.OperationStore;
import org.tether.operations.OperationView;

import java.util.Map;

/**
 * Asynchronous operations: any mutating call sent with {@code Prefer: respond-async} or a {@code callback_url}
 * answers 202 with {@code Location: /v1/operations/{id}}; this shows its state, its answer, and its callback.
 */
@Path("/v1/operations")
@Produces(MediaType.APPLICATION_JSON)
public class OperationResource {
    private final OperationStore store;
    private final OperationView view;

    public OperationResource(OperationStore store, OperationView view) {
        this.store = store;
        this.view = view;
    }

    @GET
    @Path("/{id}")
    @Operation(summary = "An asynchronous operation: running, succeeded or failed, its answer and callback delivery")
    @APIResponse(responseCode = "200", description = "The operation")
    @APIResponse(responseCode = "404", description = "No such operation (or past its retention)")
    public Map<String, Object> get(@PathParam("id") String id) {
        AttachmentResource.uuid(id, "id");
        return view.withDelivery(store.find(id).orElseThrow(() -> new TetherException(
                ErrorCode.OPERATION_NOT_FOUND, "id", "no operation " + id)));
    }
}
