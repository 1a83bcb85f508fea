package org.tether.exec;

/** Runs external programs. The only way Tether touches a host tool. */
public interface CommandRunner {

    /**
     * Runs the command to completion and returns its exit code and output, whatever the code.
     * Interpreting the code belongs to the tool's wrapper.
     *
     * @throws CommandException if it cannot start or overruns its timeout (the child is then killed)
     */
    CommandResult run(Command command);
}
