// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import io.cryostash.agent.network.NetworkLocks;
import io.cryostash.capture.files.ConnectionPolicy;
import io.cryostash.capture.sysvipc.SysvSelection;

/**
 * How to capture.
 *
 * @param kill   kill the process once its image is complete and durable, instead of letting it run on
 * @param parent an earlier image of the same process whose stored chunks this one may reuse, or null
 * @param track  keep tracking the pages the process writes, for the next incremental capture
 *               (implied by a parent)
 * @param preCopy copy memory while the process runs, then freeze it only to copy what it wrote
 *               meanwhile (needs userfaultfd write-protect; otherwise an ordinary capture)
 * @param losses descriptors the user agreed to give up rather than have the capture refused (of
 *               the process named, the root of a tree)
 * @param memberLosses for {@code checkpoint --tree}: descriptors given up in other processes of
 *               the tree, by pid ({@code --close-fd PID:FD}); a pid that is not a descendant makes
 *               the capture refuse, and so does any entry for a capture without --tree
 * @param sysv   SysV IPC objects to keep beyond those the process shows it uses
 * @param networkLock with kill: lock the network of the process's established TCP connections
 *               from before their queues are read until their restore (the default; false only
 *               to show what happens without, as {@code checkpoint --no-network-lock})
 * @param tcpSkipInFlight with kill: give up connections waiting in a listener's accept queue
 *               instead of refusing the capture ({@code checkpoint --tcp-skip-in-flight}, as CRIU's)
 */
public record CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy, FdLosses losses,
                             java.util.Map<Integer, FdLosses> memberLosses, SysvSelection sysv, boolean networkLock,
                             boolean tcpSkipInFlight) {
    public CaptureOptions {
        losses = losses == null ? FdLosses.NONE : losses;
        memberLosses = memberLosses == null ? java.util.Map.of() : java.util.Map.copyOf(memberLosses);
        sysv = sysv == null ? SysvSelection.NONE : sysv;
    }

    public CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy, FdLosses losses,
                          java.util.Map<Integer, FdLosses> memberLosses, SysvSelection sysv) {
        this(kill, parent, track, preCopy, losses, memberLosses, sysv, true, false);
    }

    /** These options with the network left unlocked ({@code checkpoint --no-network-lock}). */
    public CaptureOptions withoutNetworkLock() {
        return new CaptureOptions(kill, parent, track, preCopy, losses, memberLosses, sysv, false, tcpSkipInFlight);
    }

    /** These options giving up connections not accepted yet ({@code checkpoint --tcp-skip-in-flight}). */
    public CaptureOptions skippingInFlight() {
        return new CaptureOptions(kill, parent, track, preCopy, losses, memberLosses, sysv, networkLock, true);
    }

    /** What the capture may do about the process's TCP connections, with this host's network locks. */
    public ConnectionPolicy connections(NetworkLocks locks) {
        return new ConnectionPolicy(kill, networkLock, tcpSkipInFlight, locks);
    }

    public CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy, FdLosses losses) {
        this(kill, parent, track, preCopy, losses, java.util.Map.of(), SysvSelection.NONE);
    }

    public CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy) {
        this(kill, parent, track, preCopy, FdLosses.NONE);
    }

    public CaptureOptions(boolean kill) {
        this(kill, null, false, false);
    }

    public CaptureOptions(boolean kill, String parent) {
        this(kill, parent, false, false);
    }

    public CaptureOptions(boolean kill, String parent, boolean track) {
        this(kill, parent, track, false);
    }

    public static CaptureOptions leaveRunning() {
        return new CaptureOptions(false, null, false, false);
    }
}
