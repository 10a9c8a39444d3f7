package io.cryostash.schema.image;

/** {@code count} consecutive pages starting at page {@code firstPage} of an area, kept at {@code dataOffset}. */
public record PageRun(long firstPage, long count, long dataOffset) {
}
