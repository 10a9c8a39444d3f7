// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import io.cryostash.schema.store.FileRef;

/**
 * A file that exists only through the process's descriptor: a memfd, or a file that was
 * deleted while open. Its contents are in the store; restore creates it again (memfd_create, or
 * the same path, opened and unlinked) and fills it.
 *
 * @param name    the memfd's name, or the deleted file's path
 * @param mode    permission bits (deleted files)
 * @param seals   F_GET_SEALS of a memfd (0 for none)
 * @param content the bytes, stored by content
 */
public record MemoryFile(String name, int mode, int seals, FileRef content) implements OpenFile {
}
