// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.inet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * Reads an established connection in TCP_REPAIR mode (as CRIU does), for as short as it takes: with the send queue
 * selected, TCP_QUEUE_SEQ is the sequence number after the last byte written and MSG_PEEK reads
 * the write queue; with the receive queue selected, the next sequence number expected and the
 * bytes not read yet.
 */
final class TcpRepairReader {
    static final int TCPI_OPT_TIMESTAMPS = 1;
    static final int TCPI_OPT_SACK = 2;
    static final int TCPI_OPT_WSCALE = 4;

    private TcpRepairReader() {
    }

    static InetSocketFile.TcpRepair read(LocalFd s, ByteBuffer tcpInfo) {
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 1);
        try {
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_SEND_QUEUE);
            long sendSeq = s.getsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_QUEUE_SEQ) & 0xffffffffL;
            int outq = s.ioctlInt(SocketOptions.SIOCOUTQ);
            int unsentLen = s.ioctlInt(SocketOptions.SIOCOUTQNSD);
            byte[] out = peek(s, outq, "send");
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_RECV_QUEUE);
            long recvSeq = s.getsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_QUEUE_SEQ) & 0xffffffffL;
            byte[] in = peek(s, s.available(), "receive");
            s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_NO_QUEUE);
            int options = tcpInfo.get(5) & 0xff;
            int wscale = tcpInfo.get(6) & 0xff;
            boolean scaled = (options & TCPI_OPT_WSCALE) != 0;
            long timestamp = (options & TCPI_OPT_TIMESTAMPS) != 0
                    ? s.getsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_TIMESTAMP) & 0xffffffffL : -1;
            ByteBuffer w = ByteBuffer.wrap(s.getsockopt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_WINDOW, 20))
                    .order(ByteOrder.LITTLE_ENDIAN);
            long[] window = new long[5];
            for (int i = 0; i < 5; i++) {
                window[i] = w.getInt(i * 4) & 0xffffffffL;
            }
            int sentLen = out.length - unsentLen;
            return new InetSocketFile.TcpRepair(sendSeq, recvSeq, Arrays.copyOfRange(out, 0, sentLen),
                    Arrays.copyOfRange(out, sentLen, out.length), in,
                    s.getsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_MAXSEG),
                    scaled ? wscale & 0xf : -1, scaled ? wscale >> 4 : -1, (options & TCPI_OPT_SACK) != 0,
                    timestamp, window);
        } finally {
            // off again at once: should this agent die now, the process must run on with normal sockets
            leaveRepair(s);
        }
    }

    /**
     * Repair mode again, just before the process is killed (still frozen, so nothing was sent
     * meanwhile): a socket closed in repair mode sends its peer neither FIN nor RST.
     */
    static void enterRepair(LocalFd s) {
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 1);
    }

    static void leaveRepair(LocalFd s) {
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR_QUEUE, SocketOptions.TCP_NO_QUEUE);
        s.setsockoptInt(SocketOptions.IPPROTO_TCP, SocketOptions.TCP_REPAIR, 0);
    }

    private static byte[] peek(LocalFd s, int length, String which) {
        if (length <= 0) {
            return new byte[0];
        }
        byte[] buf = new byte[length];
        int n = s.recv(buf, length, LocalFd.MSG_PEEK);
        if (n != length) {
            throw new Unsavable("a TCP connection whose " + which + " queue of " + length + " bytes read back as " + n);
        }
        return buf;
    }
}
