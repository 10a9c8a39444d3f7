// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.system;

import org.springframework.security.access.AccessDeniedException;

/** The caller is known but may not do this (e.g. an agent acting for another host): 403. */
public class ForbiddenException extends AccessDeniedException {
    public ForbiddenException(String message) {
        super(message);
    }
}
