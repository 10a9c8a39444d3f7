package io.cryostash.agent.image;

/** An image whose data does not match its manifest; nothing was restored from it. */
public class CorruptImageException extends RuntimeException {
    public CorruptImageException(String imageId, String what) {
        super("image " + imageId + " is damaged: " + what);
    }
}
