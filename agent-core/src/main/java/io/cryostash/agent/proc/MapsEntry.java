// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

/** One line of /proc/PID/maps. {@code path} is null for anonymous memory; pseudo-paths keep their brackets. */
public record MapsEntry(long start, long end, String perms, long offset, int devMajor, int devMinor, long inode,
                        String path) {
    public long length() {
        return end - start;
    }

    public boolean shared() {
        return perms.charAt(3) == 's';
    }

    public boolean isFile() {
        return path != null && path.startsWith("/") && inode != 0;
    }

    public boolean isDeleted() {
        return path != null && path.endsWith(" (deleted)");
    }

}
