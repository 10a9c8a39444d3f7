// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

/** No complete image with this id in the store. */
public class ImageNotFoundException extends RuntimeException {
    public ImageNotFoundException(String id, String store) {
        super("no image '" + id + "' in store " + store + " (list them with: cryostash images)");
    }
}
