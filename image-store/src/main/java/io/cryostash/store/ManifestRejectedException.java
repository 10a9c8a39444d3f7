// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

/**
 * A manifest that must not be used: bad signature, untrusted signer, unknown major version,
 * oversized, malformed, or stored under a name that is not its hash.
 */
public class ManifestRejectedException extends IntegrityException {
    private final String manifestId;
    private final String reason;

    public ManifestRejectedException(String manifestId, String reason) {
        super("manifest " + manifestId + " rejected: " + reason);
        this.manifestId = manifestId;
        this.reason = reason;
    }

    public ManifestRejectedException(String manifestId, String reason, Throwable cause) {
        super("manifest " + manifestId + " rejected: " + reason, cause);
        this.manifestId = manifestId;
        this.reason = reason;
    }

    /** Why, without the manifest id. */
    public String reason() {
        return reason;
    }

    public String manifestId() {
        return manifestId;
    }
}
