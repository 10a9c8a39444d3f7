// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

/** The pid names no process (or it exited while we were reading it). */
public class NoSuchProcessException extends RuntimeException {
    public NoSuchProcessException(int pid) {
        super("no process with pid " + pid + " (it does not exist or has exited)");
    }
}
