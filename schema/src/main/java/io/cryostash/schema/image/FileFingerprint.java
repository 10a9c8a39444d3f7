// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import io.cryostash.schema.store.FileRef;

/**
 * A file the image relies on (executable, libraries, mapped files), as it was at capture time.
 * Executables and libraries also carry their {@code content} in the store, so that a host whose
 * copy differs maps the stored one; other files (data) must be found unchanged.
 */
public record FileFingerprint(String path, long size, long mtimeNanos, long inode, FileRef content) {
}
