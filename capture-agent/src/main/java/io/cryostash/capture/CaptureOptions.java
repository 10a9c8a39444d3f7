package io.cryostash.capture;

/**
 * How to capture.
 *
 * @param kill kill the process once its image is complete and durable, instead of letting it run on
 */
public record CaptureOptions(boolean kill) {
    public static CaptureOptions leaveRunning() {
        return new CaptureOptions(false);
    }
}
