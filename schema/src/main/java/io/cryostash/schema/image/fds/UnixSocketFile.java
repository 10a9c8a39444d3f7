// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import java.util.List;

/**
 * A unix socket.
 *
 * @param inode   the socket's inode at capture (how peers name each other)
 * @param type    SOCK_STREAM (1), SOCK_DGRAM (2) or SOCK_SEQPACKET (5)
 * @param role    how restore makes it again
 * @param address its own sockaddr_un as getsockname returned it (family included; 2 bytes when unnamed)
 * @param peer    PAIRED: the peer's inode; CONNECTED: the sockaddr_un it sends to
 * @param backlog LISTENING: the listen backlog
 * @param queue   what was queued to read, in order: one element per datagram or message, one
 *                for a stream's bytes; re-sent by the peer (or to the address) on restore
 */
public record UnixSocketFile(long inode, int type, Role role, byte[] address, long peer, byte[] peerAddress,
                             int backlog, List<byte[]> queue) implements OpenFile {
    public UnixSocketFile {
        queue = queue == null ? List.of() : List.copyOf(queue);
    }

    public enum Role {
        /** Connected both ways to another socket of the image (socketpair, or both ends of a connection). */
        PAIRED,
        /** Listening for connections at its address. */
        LISTENING,
        /** A datagram socket that sends to an address (of the image or outside it), by name. */
        CONNECTED,
        /** Neither listening nor connected: bound to its address, or unnamed. */
        UNCONNECTED,
        /**
         * A stream or seqpacket socket whose peer has been closed (e.g. the JDK's NIO keeps one end of
         * a socketpair as the descriptor it dup2s over a channel closed under a blocked thread): reads
         * what is left in its queue, then end of file; writes fail with EPIPE. Restored as one end of
         * a socketpair whose other end is closed once the queue is sent through it.
         */
        PEER_CLOSED
    }
}
