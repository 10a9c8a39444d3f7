// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * Rebuilds an established connection with TCP_REPAIR, so that its peer notices nothing: in
 * repair mode, set both queues' sequence numbers to where the saved bytes start, bind and
 * connect (no handshake is sent), set the negotiated options and the timestamp clock, put back
 * the bytes received and not read and the bytes sent and not acknowledged (the kernel
 * retransmits those), then the window, leave repair mode (a window probe goes out), and send
 * what the program had written but the kernel had not sent.
 */
final class TcpRepairWriter {
    static final int TCPOPT_MAXSEG = 2;
    static final int TCPOPT_WINDOW = 3;
    static final int TCPOPT_SACK_PERM = 4;
    static final int TCPOPT_TIMESTAMP = 8;

    private TcpRepairWriter() {
    }

    /** Rebuilds the connection; it stays in repair mode until {@link #finish}. */
    static void rebuild(LocalFd s, FdEntry e, InetSocketFile f) {
        InetSocketFile.TcpRepair r = f.repair();
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 1);
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_SEND_QUEUE);
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_QUEUE_SEQ,
                (int) (r.sendSeq() - r.sent().length - r.unsent().length));
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_RECV_QUEUE);
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_QUEUE_SEQ, (int) (r.recvSeq() - r.received().length));
        if (r.timestamp() >= 0) {
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_TIMESTAMP, (int) r.timestamp());
        }
        s.bind(f.local());
        s.connect(f.peer());
        ByteBuffer opts = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        opts.putInt(TCPOPT_MAXSEG).putInt(r.mss());
        if (r.sndWscale() >= 0) {
            opts.putInt(TCPOPT_WINDOW).putInt(r.sndWscale() | (r.rcvWscale() << 16));
        }
        if (r.sack()) {
            opts.putInt(TCPOPT_SACK_PERM).putInt(0);
        }
        if (r.timestamp() >= 0) {
            opts.putInt(TCPOPT_TIMESTAMP).putInt(0);
        }
        byte[] o = new byte[opts.position()];
        opts.flip().get(o);
        s.setsockopt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_OPTIONS, o);
        if (r.received().length > 0) {
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_RECV_QUEUE);
            s.send(r.received(), 0);
        }
        if (r.sent().length > 0) {
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_SEND_QUEUE);
            s.send(r.sent(), 0);
        }
        // after the queues: the kernel checks the window against the next sequence number expected
        ByteBuffer w = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : r.window()) {
            w.putInt((int) v);
        }
        s.setsockopt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_WINDOW, w.array());
    }

    /**
     * Leaves repair mode and sends what was not sent yet. Only once every connection of the image
     * is rebuilt: leaving repair mode sends a window probe, and a peer that is itself in the image
     * but not rebuilt yet would answer it with a reset.
     */
    static void finish(LocalFd s, InetSocketFile f) {
        InetSocketFile.TcpRepair r = f.repair();
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_NO_QUEUE);
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 0);
        if (r.unsent().length > 0) {
            s.send(r.unsent(), 0);
        }
    }
}
