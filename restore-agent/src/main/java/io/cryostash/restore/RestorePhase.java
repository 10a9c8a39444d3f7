// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

/** The steps a restore is made of, in the order they run, for reports of where its time goes. */
public enum RestorePhase {
    /** The manifest, its signature and the area and descriptor tables from the store. */
    READ_IMAGE,
    /** Files, descriptors, pids and SysV objects checked against this host; the output log made. */
    CHECK,
    /** The tracer helper started and the husk spawned (with its pid chosen when it is the original). */
    HUSK,
    /** The husk emptied, the restorer page, vDSO, mm fields, credentials for files, redirected files. */
    SET_UP,
    /** SysV attachments and every memory area mapped and filled (waiting for pages still on their way). */
    MEMORY,
    /** Every descriptor of the image. */
    DESCRIPTORS,
    /** Cwd and root, signal actions, process state, threads, queued signals, credentials, timers. */
    PROCESS,
    /** Registers set and every thread let go. */
    RUN
}
