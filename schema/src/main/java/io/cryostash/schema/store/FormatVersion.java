// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.store;

/**
 * Version of one of the store's binary formats (pack, index object, manifest envelope).
 *
 * <p>Readers accept any minor version of the major they know (minor versions only add
 * information a reader may ignore) and reject any other major with a clear message, because a
 * restore that silently misreads an image is worse than one that refuses.
 */
public record FormatVersion(int major, int minor) {
    public FormatVersion {
        if (major < 0 || major > 0xffff || minor < 0 || minor > 0xffff) {
            throw new IllegalArgumentException("version parts must fit in 16 bits: " + major + "." + minor);
        }
    }

    /** Whether a reader of {@code this} version can read data written as {@code other}. */
    public boolean canRead(FormatVersion other) {
        return other.major == major;
    }

    @Override
    public String toString() {
        return major + "." + minor;
    }
}
