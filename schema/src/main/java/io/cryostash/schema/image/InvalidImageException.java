// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/** An image manifest that a reader refuses to trust; the message says what is wrong. */
public class InvalidImageException extends RuntimeException {
    public InvalidImageException(String message) {
        super("invalid image: " + message);
    }
}
