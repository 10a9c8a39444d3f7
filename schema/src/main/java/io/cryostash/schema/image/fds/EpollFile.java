// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import java.util.List;

/** An epoll instance and the descriptors registered in it. */
public record EpollFile(List<Target> targets) implements OpenFile {
    public EpollFile {
        targets = List.copyOf(targets);
    }

    /**
     * One registration.
     *
     * @param fd     the registered descriptor's number in this process
     * @param events the event mask given to epoll_ctl (EPOLLIN, EPOLLET, …)
     * @param data   the 64 bits of user data handed back with each event
     */
    public record Target(int fd, int events, long data) {
    }
}
