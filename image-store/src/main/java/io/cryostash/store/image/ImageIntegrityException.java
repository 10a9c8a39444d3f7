// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import io.cryostash.store.IntegrityException;

/**
 * An image that failed verification: bad or untrusted signature, a missing or corrupt chunk, a
 * tampered manifest. Nothing was restored from it; the message names what is wrong.
 */
public class ImageIntegrityException extends RuntimeException {
    public ImageIntegrityException(IntegrityException cause) {
        super(cause.getMessage(), cause);
    }

    /** Names the image when the cause (a chunk, a pack) does not. */
    public ImageIntegrityException(String imageId, IntegrityException cause) {
        super(cause.getMessage().contains(imageId) ? cause.getMessage()
                : "image " + imageId + " cannot be trusted: " + cause.getMessage(), cause);
    }
}
