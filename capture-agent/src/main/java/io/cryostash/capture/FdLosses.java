// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.util.Set;

/**
 * Descriptors the user agreed to give up, by number: capture records them instead of refusing
 * the process, and restore leaves them closed ({@code close}) or binds /dev/null or the
 * restore's log in their place ({@code redirect}). The capture's output lists each.
 */
public record FdLosses(Set<Integer> close, Set<Integer> redirect) {
    public static final FdLosses NONE = new FdLosses(Set.of(), Set.of());

    public FdLosses {
        close = Set.copyOf(close);
        redirect = Set.copyOf(redirect);
        for (Integer fd : close) {
            if (redirect.contains(fd)) {
                throw new IllegalArgumentException("descriptor " + fd + " cannot be both closed and redirected");
            }
        }
    }

    public boolean givesUp(int fd) {
        return close.contains(fd) || redirect.contains(fd);
    }
}
