package io.cryostash.schema.image;

/** A file the image relies on (executable, libraries, mapped files), as it was at capture time. */
public record FileFingerprint(String path, long size, long mtimeNanos, long inode) {
}
