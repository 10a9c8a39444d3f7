package io.cryostash.capture;

/**
 * How to capture.
 *
 * @param kill   kill the process once its image is complete and durable, instead of letting it run on
 * @param parent an earlier image of the same process whose stored chunks this one may reuse, or null
 * @param track  keep tracking the pages the process writes, for the next incremental capture
 *               (implied by a parent)
 */
public record CaptureOptions(boolean kill, String parent, boolean track) {
    public CaptureOptions(boolean kill) {
        this(kill, null, false);
    }

    public CaptureOptions(boolean kill, String parent) {
        this(kill, parent, false);
    }

    public static CaptureOptions leaveRunning() {
        return new CaptureOptions(false, null, false);
    }
}
