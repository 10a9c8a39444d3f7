// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

/**
 * How to capture.
 *
 * @param kill   kill the process once its image is complete and durable, instead of letting it run on
 * @param parent an earlier image of the same process whose stored chunks this one may reuse, or null
 * @param track  keep tracking the pages the process writes, for the next incremental capture
 *               (implied by a parent)
 * @param preCopy copy memory while the process runs, then freeze it only to copy what it wrote
 *               meanwhile (needs userfaultfd write-protect; otherwise an ordinary capture)
 * @param losses descriptors the user agreed to give up rather than have the capture refused
 */
public record CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy, FdLosses losses) {
    public CaptureOptions {
        losses = losses == null ? FdLosses.NONE : losses;
    }

    public CaptureOptions(boolean kill, String parent, boolean track, boolean preCopy) {
        this(kill, parent, track, preCopy, FdLosses.NONE);
    }

    public CaptureOptions(boolean kill) {
        this(kill, null, false, false);
    }

    public CaptureOptions(boolean kill, String parent) {
        this(kill, parent, false, false);
    }

    public CaptureOptions(boolean kill, String parent, boolean track) {
        this(kill, parent, track, false);
    }

    public static CaptureOptions leaveRunning() {
        return new CaptureOptions(false, null, false, false);
    }
}
