// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import io.cryostash.agent.network.NetworkLocks;

/**
 * What a capture may do about the process's TCP connections. Only a capture that kills the
 * process can lose one: a process that runs on keeps serving its peers, and its image is a copy
 * of a moment. So with {@code kill}, what the image cannot hold makes the capture refuse (the
 * process is resumed, nothing is killed) unless the user accepted that loss by an option, as
 * CRIU refuses in-flight connections without {@code --tcp-skip-in-flight}.
 *
 * @param kill         the process is killed once its image is safe
 * @param lockNetwork  with kill: its established connections are locked on the network from
 *                     before their queues are read until their restore; false only when the user
 *                     gave that up ({@code checkpoint --no-network-lock})
 * @param skipInFlight with kill: connections waiting in a listener's accept queue may be given up
 *                     ({@code checkpoint --tcp-skip-in-flight}; their clients see a reset)
 * @param locks        this host's network locks, or null when nft is not installed
 */
public record ConnectionPolicy(boolean kill, boolean lockNetwork, boolean skipInFlight, NetworkLocks locks) {
    /** For the check before the freeze and for captures that let the process run on. */
    public static final ConnectionPolicy RUN_ON = new ConnectionPolicy(false, false, false, null);

    /** Whether established connections are to be locked now. */
    public boolean locksNetwork() {
        return kill && lockNetwork;
    }
}
