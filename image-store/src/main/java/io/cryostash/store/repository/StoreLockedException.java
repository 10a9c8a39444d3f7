// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import java.io.IOException;

/**
 * Another process holds a conflicting lock: {@code repair-index} while capturing, another GC or
 * a repair while collecting garbage, anything while repairing. Try again later; a lock of a
 * process that is gone from this host is taken over at once, one from elsewhere is ignored once
 * not refreshed for {@link StoreLock#STALE}.
 */
public class StoreLockedException extends IOException {
    private final String lockName;

    public StoreLockedException(String location, String lockName, String holder) {
        super("store " + location + " is locked by " + lockName + " (" + holder + ")");
        this.lockName = lockName;
    }

    public String lockName() {
        return lockName;
    }
}
