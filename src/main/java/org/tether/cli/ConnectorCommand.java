package org.tether.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.util.List;

/** {@code tetherctl connector}: os-brick's connector properties of this host, as a controller receives them. */
@Command(name = "connector", description = "This host's connector properties (initiator, NQN, host, ip...).")
final class ConnectorCommand implements Runnable {
    @ParentCommand
    Tetherctl root;

    @Override
    public void run() {
        root.print(root.call("GET", "/v1/connector", null), List.of(Output.Column.of("host"), Output.Column.of("ip"),
                Output.Column.of("initiator"), Output.Column.of("nqn"), Output.Column.of("multipath")));
    }
}
