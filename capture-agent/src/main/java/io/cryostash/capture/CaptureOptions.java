package io.cryostash.capture;

/**
 * How to capture.
 *
 * @param kill   kill the process once its image is complete and durable, instead of letting it run on
 * @param parent an earlier image of the same process whose stored chunks this one may reuse, or null
 */
public record CaptureOptions(boolean kill, String parent) {
    public CaptureOptions(boolean kill) {
        this(kill, null);
    }

    public static CaptureOptions leaveRunning() {
        return new CaptureOptions(false, null);
    }
}
