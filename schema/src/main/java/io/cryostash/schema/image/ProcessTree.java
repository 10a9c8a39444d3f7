// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.util.List;

/**
 * The descendants of an image's process, captured with it ({@code checkpoint --tree}). The
 * image's own process is the tree's root; {@code members} lists every other member parents
 * before children, which is the order restore creates them in (each forked from its restored
 * parent), so anything a member shares with another (a pipe, an open file description, a
 * shared mapping) is made by the first one of them in this order, the root first.
 */
public record ProcessTree(List<TreeMember> members) {
    public ProcessTree {
        members = members == null ? List.of() : List.copyOf(members);
    }
}
