// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.network;

/** The host's packet filter could not be changed (nft missing, refused, or failed). */
public final class NetworkLockException extends RuntimeException {
    public NetworkLockException(String message) {
        super(message);
    }

    public NetworkLockException(String message, Throwable cause) {
        super(message, cause);
    }
}
