// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.unixsockets;

import static io.cryostash.agent.linux.SocketOptions.SOCK_DGRAM;
import static io.cryostash.agent.linux.SocketOptions.SOCK_STREAM;
import static io.cryostash.agent.linux.SocketOptions.SOL_SOCKET;
import static io.cryostash.agent.linux.SocketOptions.SO_ACCEPTCONN;
import static io.cryostash.agent.linux.SocketOptions.SO_TYPE;
import static io.cryostash.agent.linux.SocketOptions.TCP_ESTABLISHED;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.UnixDiag;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.UnixSocketFile;

/**
 * Unix sockets, read on the agent's copy of each (pidfd_getfd): type, own address, listening
 * state, peer (sock_diag is the only place that names a peer's inode) and what is queued to
 * read. Saved: pairs whose both ends are in the image (socketpair, or both ends of one
 * connection; with a tree, the ends may be held by different processes of it), listening sockets
 * at a path or abstract name, datagram sockets bound or sending to an address, stream or seqpacket
 * sockets whose peer has been closed. A stream or seqpacket socket connected to a process outside
 * the image is refused: that process would be left talking to nobody.
 */
public final class UnixSocketCapture implements FdCapturer {

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.UNIX_SOCKET;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        refuseDescriptorsInFlight(info);
        try (LocalFd s = ctx.take(info.fd())) {
            int type = s.getsockoptInt(SOL_SOCKET, SO_TYPE);
            boolean listening = s.getsockoptInt(SOL_SOCKET, SO_ACCEPTCONN) != 0;
            byte[] self = s.sockname();
            byte[] peerAddress = s.peername();
            UnixDiag.Info diag = UnixDiag.query(info.ino());
            if (diag == null) {
                throw new Unsavable("a unix socket sock_diag does not know");
            }
            UnixSocketFile.Role role;
            long peer = 0;
            int backlog = 0;
            if (listening) {
                role = UnixSocketFile.Role.LISTENING;
                backlog = (int) diag.wqueue();
                if (diag.rqueue() > 0) {
                    ctx.note("fd " + info.fd() + " (" + info.target() + "), a listening unix socket: " + diag.rqueue()
                            + " connection(s) not accepted yet are not kept (their clients see the connection end)");
                }
            } else if (diag.peer() != 0 && paired(ctx, info.ino(), diag.peer())) {
                role = UnixSocketFile.Role.PAIRED;
                peer = diag.peer();
            } else if (type != SOCK_DGRAM && diag.state() == TCP_ESTABLISHED && diag.peer() == 0
                    && diag.shutdown() == UnixDiag.SHUTDOWN_BOTH) {
                // the peer's release shut both ways down and left its inode 0; a connection not
                // accepted yet has inode 0 too, but is shut down only if this end asked for it
                role = UnixSocketFile.Role.PEER_CLOSED;
            } else if (type == SOCK_DGRAM && peerAddress != null && peerAddress.length > 2) {
                role = UnixSocketFile.Role.CONNECTED; // datagrams go to a name, whoever holds it
            } else if (type != SOCK_DGRAM && diag.peer() == 0 && diag.state() == TCP_ESTABLISHED
                    && diag.shutdown() == UnixDiag.SHUTDOWN_BOTH) {
                // its peer is closed (a connection nobody accepted yet has no shutdown bits): only
                // the queue and the end of file are left, and a socketpair with one end closed has both
                role = UnixSocketFile.Role.PEER_CLOSED;
            } else if (diag.peer() != 0 || (type != SOCK_DGRAM && diag.state() == TCP_ESTABLISHED)) {
                // a peer of inode 0 is a connection no one accepted yet: no process holds it
                Set<Integer> holders = diag.peer() == 0 ? Set.of() : ctx.holdersElsewhere("socket:[" + diag.peer() + "]");
                throw new Unsavable("a unix socket connected to " + (holders.isEmpty() ? "a socket outside the image"
                        + " (or a connection not accepted yet)"
                        : holders.stream().map(FdCaptureContext::describe).collect(Collectors.joining(", ")))
                        + (peerAddress != null && peerAddress.length > 2 ? " at " + display(peerAddress) : ""));
            } else {
                role = UnixSocketFile.Role.UNCONNECTED;
            }
            List<byte[]> queue = List.of();
            if (ctx.readState() && !listening) {
                queue = SocketQueue.peek(s, type == SOCK_STREAM,
                        type == SOCK_STREAM || role == UnixSocketFile.Role.PEER_CLOSED);
                if (!queue.isEmpty() && role == UnixSocketFile.Role.UNCONNECTED && self.length <= 2) {
                    throw new Unsavable("an unnamed unix datagram socket with datagrams queued (nothing could"
                            + " address them to it again)");
                }
            }
            return slot.withFile(new UnixSocketFile(info.ino(), type, role, self, peer,
                    role == UnixSocketFile.Role.CONNECTED ? peerAddress : null, backlog, queue));
        }
    }

    /**
     * Descriptors passed with SCM_RIGHTS and not received yet ride on the queued messages as
     * open files; peeking the bytes (MSG_PEEK without a control buffer) drops them, so the image
     * would hand the program its bytes without its descriptors. The kernel counts them per
     * receiving socket (fdinfo's {@code scm_fds}, Linux 5.6+); credentials (SCM_CREDENTIALS) are
     * not counted there and are no reason to refuse.
     */
    static void refuseDescriptorsInFlight(FdInfo info) {
        String scm = info.value("scm_fds:");
        long inFlight = scm == null ? 0 : Long.parseLong(scm);
        if (inFlight > 0) {
            throw new Unsavable("a unix socket holding " + inFlight + " passed descriptor" + (inFlight == 1 ? "" : "s")
                    + " (SCM_RIGHTS) not received yet, which Cryostash cannot keep; try again once the program has"
                    + " received them");
        }
    }

    /**
     * Whether the peer is a socket of this process, or of another process of the tree captured
     * with it, whose own peer is this one (a two-way connection).
     */
    private static boolean paired(FdCaptureContext ctx, long self, long peer) {
        String target = "socket:[" + peer + "]";
        if (ctx.withTarget(target).isEmpty() && ctx.heldInTree(target).isEmpty()) {
            return false;
        }
        UnixDiag.Info other = UnixDiag.query(peer);
        return other != null && other.peer() == self;
    }

    static String display(byte[] sockaddr) {
        if (sockaddr.length > 2 && sockaddr[2] == 0) {
            return "@" + new String(sockaddr, 3, sockaddr.length - 3, java.nio.charset.StandardCharsets.UTF_8);
        }
        int end = 2;
        while (end < sockaddr.length && sockaddr[end] != 0) {
            end++;
        }
        return new String(sockaddr, 2, end - 2, java.nio.charset.StandardCharsets.UTF_8);
    }
}
