// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;

/** A /proc file could not be read. */
public class ProcReadException extends RuntimeException {
    public ProcReadException(int pid, String file, IOException cause) {
        super("cannot read /proc/" + pid + "/" + file + ": " + cause.getMessage(), cause);
    }

    public ProcReadException(String message, IOException cause) {
        super(message, cause);
    }
}
