// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

/** Working directory, root directory and umask. */
public record FsState(String cwd, String root, int umask) {
}
