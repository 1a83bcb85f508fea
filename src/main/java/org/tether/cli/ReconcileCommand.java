package org.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.List;

/** {@code tetherctl reconcile}: a reconciliation pass now, and what it found and repaired. */
@Command(name = "reconcile", description = "Runs a reconciliation pass now and shows its report.")
final class ReconcileCommand implements Runnable {
    @ParentCommand
    Tetherctl root;

    @Override
    public void run() {
        root.print(root.call("POST", "/v1/reconciliation", null), List.of(Output.Column.of("at"),
                Output.Column.of("attachments_checked"), Output.Column.of("drift"),
                Output.Column.of("unowned_sessions"), Output.Column.of("unowned_disks"), Output.Column.of("errors")));
    }
}
