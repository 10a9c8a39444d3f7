// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

/** A system call on one of the agent's own descriptors failed; carries the errno. */
public class FdException extends RuntimeException {
    private final int errno;

    public FdException(String step, int errno) {
        super(step + " failed (errno " + errno + ")");
        this.errno = errno;
    }

    public int errno() {
        return errno;
    }
}
