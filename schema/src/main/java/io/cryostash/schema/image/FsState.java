package io.cryostash.schema.image;

/** Working directory, root directory and umask. */
public record FsState(String cwd, String root, int umask) {
}
