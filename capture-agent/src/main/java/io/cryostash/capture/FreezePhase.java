// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

/** The steps a freeze is made of, in the order they run, for reports of where its time goes. */
public enum FreezePhase {
    /** Seize and interrupt stop of every thread, and the /proc files read while stopped (stat, maps, status, limits). */
    STOP,
    /**
     * Per thread: registers, xstate, signal mask, rseq, sigaltstack and tid address (remote calls
     * in that thread), robust list, name, queued signals; plus the process-wide queued signals.
     */
    REGISTERS,
    /** The other system calls run inside the process: signal actions, brk, tracker start and registration. */
    REMOTE_CALLS,
    /** PAGEMAP_SCAN walks: written pages, page presence, write-protecting again. */
    TRACKING_SCAN,
    /** Copying pages out of the process. */
    MEMORY_COPY,
    /** Descriptors, file system state and file fingerprints read while still stopped. */
    FILES,
    /** Detaching, or keeping it stopped until the image is durable (--kill). */
    RESUME
}
