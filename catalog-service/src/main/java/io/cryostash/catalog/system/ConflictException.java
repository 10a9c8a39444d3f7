// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

/** The request contradicts what is stored (duplicate id, wrong state): 409. */
public class ConflictException extends RuntimeException {
    public ConflictException(String message) {
        super(message);
    }
}
