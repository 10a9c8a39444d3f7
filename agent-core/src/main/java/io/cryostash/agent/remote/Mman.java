// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.remote;

/** mmap/mprotect constants. */
public final class Mman {
    public static final int PROT_NONE = 0;
    public static final int PROT_READ = 1;
    public static final int PROT_WRITE = 2;
    public static final int PROT_EXEC = 4;
    public static final int MAP_SHARED = 0x01;
    public static final int MAP_PRIVATE = 0x02;
    public static final int MAP_FIXED = 0x10;
    public static final int MAP_ANONYMOUS = 0x20;
    public static final int MAP_GROWSDOWN = 0x0100;
    public static final int MAP_NORESERVE = 0x4000;
    public static final int MAP_FIXED_NOREPLACE = 0x100000;
    public static final int MADV_RANDOM = 1;
    public static final int MADV_SEQUENTIAL = 2;
    public static final int MADV_DONTFORK = 10;
    public static final int MADV_MERGEABLE = 12;
    public static final int MADV_HUGEPAGE = 14;
    public static final int MADV_NOHUGEPAGE = 15;
    public static final int MADV_DONTDUMP = 16;
    public static final int MADV_WIPEONFORK = 18;
    public static final int MLOCK_ONFAULT = 1;
    public static final int MREMAP_MAYMOVE = 1;
    public static final int MREMAP_FIXED = 2;

    private Mman() {
    }

    /** PROT_* bits of a maps permission string such as "r-xp". */
    public static int prot(String perms) {
        int p = 0;
        if (perms.charAt(0) == 'r') {
            p |= PROT_READ;
        }
        if (perms.charAt(1) == 'w') {
            p |= PROT_WRITE;
        }
        if (perms.charAt(2) == 'x') {
            p |= PROT_EXEC;
        }
        return p;
    }
}
