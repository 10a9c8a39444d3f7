// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

/** Real, effective, saved and filesystem ids; restore runs the process as these, never as root by accident. */
public record Credentials(int uid, int euid, int suid, int fsuid, int gid, int egid, int sgid, int fsgid,
                          List<Integer> groups) {
}
