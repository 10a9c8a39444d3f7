// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

/** A pack's trailer or trailing index cannot be read: truncated, damaged or not a pack. */
public class InvalidPackException extends IntegrityException {
    private final String packId;

    public InvalidPackException(String packId, String reason) {
        super("pack " + packId + " is invalid: " + reason);
        this.packId = packId;
    }

    public String packId() {
        return packId;
    }
}
