// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.tracking;

import io.cryostash.agent.linux.PagemapScan;
import io.cryostash.agent.linux.Userfaultfd;

/**
 * What this kernel offers for dirty-page tracking, probed once at agent start (like CRIU's
 * kerndat) and passed to whoever needs it.
 *
 * @param uffdWriteProtectAsync userfaultfd write-protect in async mode (UFFD_FEATURE_WP_ASYNC)
 * @param pagemapScan           the PAGEMAP_SCAN ioctl
 */
public record KernelFeatures(boolean uffdWriteProtectAsync, boolean pagemapScan) {

    public static KernelFeatures probe() {
        return new KernelFeatures(Userfaultfd.asyncWriteProtectSupported(), PagemapScan.supported());
    }

    /** Whether incremental captures can learn the written pages from the kernel. */
    public boolean canTrackWrites() {
        return uffdWriteProtectAsync && pagemapScan;
    }
}
