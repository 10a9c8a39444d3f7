// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.inet;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * The datagrams a UDP socket has received and its program not read yet, copied without taking
 * them: recvfrom with MSG_PEEK from an advancing peek offset (SO_PEEK_OFF, which UDP honours per
 * datagram; the socket's own offset is put back), each with the address it came from, so that
 * restore can deliver it again from the same sender.
 */
final class UdpQueue {
    static final int MSG_TRUNC = 0x20;
    static final int MAX_DATAGRAM = 65536;
    /** More than a default receive buffer can hold (about 200 KiB of tiny datagrams). */
    static final int MAX_DATAGRAMS = 1 << 16;

    private UdpQueue() {
    }

    static List<InetSocketFile.Datagram> peek(LocalFd socket) {
        if (socket.available() <= 0 && !hasEmptyDatagram(socket)) {
            return List.of();
        }
        int saved = socket.getsockoptInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_PEEK_OFF);
        socket.setsockoptInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_PEEK_OFF, 0);
        try {
            List<InetSocketFile.Datagram> out = new ArrayList<>();
            byte[] buf = new byte[MAX_DATAGRAM];
            for (int i = 0; i < MAX_DATAGRAMS; i++) {
                LocalFd.Received r = socket.recvFrom(buf, buf.length, LocalFd.MSG_PEEK | MSG_TRUNC);
                if (r == null) {
                    return out;
                }
                if (r.length() > buf.length) {
                    throw new Unsavable("a UDP socket with a queued datagram of " + r.length() + " bytes");
                }
                out.add(new InetSocketFile.Datagram(r.source(), Arrays.copyOf(buf, r.length())));
            }
            throw new Unsavable("a UDP socket with more than " + MAX_DATAGRAMS + " datagrams queued");
        } finally {
            socket.setsockoptInt(SocketOptions.SOL_SOCKET, SocketOptions.SO_PEEK_OFF, saved);
        }
    }

    /** FIONREAD gives the next datagram's length: 0 both when none is queued and when an empty one is. */
    private static boolean hasEmptyDatagram(LocalFd socket) {
        return socket.recvFrom(new byte[1], 1, LocalFd.MSG_PEEK) != null;
    }
}
