// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the kernel tells about one unix socket through sock_diag (NETLINK_SOCK_DIAG, UNIX_DIAG):
 * the inode of its peer, which nothing else in /proc shows, and its queue lengths (for a
 * listening socket: connections waiting and the backlog), and which directions are shut down.
 */
public final class UnixDiag {
    private static final int AF_NETLINK = 16;
    private static final int SOCK_DGRAM = 2;
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20;
    private static final int NLM_F_REQUEST = 1;
    private static final int NLMSG_ERROR = 2;
    private static final int UDIAG_SHOW_PEER = 4;
    private static final int UDIAG_SHOW_RQLEN = 0x10;
    private static final int UNIX_DIAG_PEER = 2;
    private static final int UNIX_DIAG_RQLEN = 4;
    private static final int UNIX_DIAG_SHUTDOWN = 6;
    /** sk_shutdown: both directions (RCV_SHUTDOWN | SEND_SHUTDOWN). */
    public static final int SHUTDOWN_BOTH = 3;

    private UnixDiag() {
    }

    /**
     * @param peer   inode of the connected peer, 0 when none
     * @param rqueue bytes queued to read (for a listening socket: connections waiting to be accepted)
     * @param wqueue bytes queued to send (for a listening socket: its backlog)
     * @param shutdown the socket's sk_shutdown (1 reading, 2 sending, 3 both): a stream or seqpacket
     *                 socket whose peer was closed has both, set by the kernel as the peer went
     */
    public record Info(int state, long peer, long rqueue, long wqueue, int shutdown) {
    }

    /** @return the socket's info, or null when no unix socket has this inode */
    public static Info query(long inode) {
        try (LocalFd nl = LocalFd.socket(AF_NETLINK, SOCK_DGRAM, NETLINK_SOCK_DIAG)) {
            ByteBuffer req = ByteBuffer.allocate(16 + 24).order(ByteOrder.nativeOrder());
            req.putInt(40).putShort((short) SOCK_DIAG_BY_FAMILY).putShort((short) NLM_F_REQUEST).putInt(1).putInt(0);
            req.put((byte) 1).put((byte) 0).putShort((short) 0).putInt(-1).putInt((int) inode)
                    .putInt(UDIAG_SHOW_PEER | UDIAG_SHOW_RQLEN).putInt(-1).putInt(-1);
            nl.send(req.array(), 0);
            byte[] buf = new byte[8192];
            int n = nl.recv(buf, buf.length, 0);
            if (n < 0) {
                n = blockingRecv(nl, buf);
            }
            ByteBuffer r = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.nativeOrder());
            int len = r.getInt(0);
            int type = r.getShort(4) & 0xffff;
            if (type == NLMSG_ERROR) {
                return null;
            }
            int state = buf[16 + 2] & 0xff;
            long peer = 0;
            long rq = 0;
            long wq = 0;
            int shutdown = 0;
            int at = 16 + 16; // nlmsghdr, unix_diag_msg
            while (at + 4 <= Math.min(len, n)) {
                int alen = r.getShort(at) & 0xffff;
                int atype = r.getShort(at + 2) & 0xffff;
                if (alen < 4) {
                    break;
                }
                if (atype == UNIX_DIAG_PEER) {
                    peer = r.getInt(at + 4) & 0xffffffffL;
                } else if (atype == UNIX_DIAG_RQLEN) {
                    rq = r.getInt(at + 4) & 0xffffffffL;
                    wq = r.getInt(at + 8) & 0xffffffffL;
                } else if (atype == UNIX_DIAG_SHUTDOWN) { // always sent, whatever is asked
                    shutdown = buf[at + 4] & 0xff;
                }
                at += (alen + 3) & ~3;
            }
            return new Info(state, peer, rq, wq, shutdown);
        }
    }

    private static int blockingRecv(LocalFd nl, byte[] buf) {
        for (int i = 0; i < 1000; i++) {
            int n = nl.recv(buf, buf.length, 0);
            if (n >= 0) {
                return n;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        throw new FdException("sock_diag answered nothing", Errno.EAGAIN);
    }
}
