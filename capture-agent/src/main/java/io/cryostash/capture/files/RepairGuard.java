// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

/**
 * Keeps a TCP connection of the frozen process out of a lasting repair mode should the agent
 * die while it is in it: the tracer helper then switches repair off on its own copy of the
 * socket ({@code Ptrace.guardRepair}). A connection left in repair mode sends nothing and
 * never closes: the program would run on with a dead connection.
 */
@FunctionalInterface
public interface RepairGuard {
    /** For the check before the freeze, which reads no socket state. */
    RepairGuard NONE = fd -> () -> { };

    /**
     * Registers descriptor {@code fd} of the process before repair mode goes on.
     *
     * @return what forgets it again once repair mode is off (or the process was killed)
     */
    Runnable guard(int fd);
}
