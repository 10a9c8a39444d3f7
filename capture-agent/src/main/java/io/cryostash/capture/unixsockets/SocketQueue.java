// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.unixsockets;

import static io.cryostash.agent.linux.SocketOptions.SOL_SOCKET;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.capture.files.Unsavable;

/**
 * What a socket has queued to read, copied with MSG_PEEK and SO_PEEK_OFF so that nothing is
 * taken: each peek starts where the previous one ended (for datagrams: at the next datagram).
 * The socket's own peek offset is put back afterwards, since the agent's copy is the process's
 * socket.
 */
public final class SocketQueue {
    static final int SO_PEEK_OFF = io.cryostash.agent.linux.SocketOptions.SO_PEEK_OFF;
    static final int MSG_TRUNC = 0x20;
    static final int MAX_MESSAGE = 4 << 20;
    static final int MAX_MESSAGES = 1 << 16;

    private SocketQueue() {
    }

    /** @param stream true for byte streams (one element), false for datagrams or messages (one each) */
    public static List<byte[]> peek(LocalFd socket, boolean stream) {
        return peek(socket, stream, stream);
    }

    /**
     * @param endsAtEmpty an empty read ends the queue: always for a stream, and for messages once
     *                    the peer is closed (each further read gives 0, end of file, not an empty message)
     */
    public static List<byte[]> peek(LocalFd socket, boolean stream, boolean endsAtEmpty) {
        int saved = socket.getsockoptInt(SOL_SOCKET, SO_PEEK_OFF);
        socket.setsockoptInt(SOL_SOCKET, SO_PEEK_OFF, 0);
        try {
            List<byte[]> out = new ArrayList<>();
            byte[] buf = new byte[MAX_MESSAGE];
            java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < MAX_MESSAGES; i++) {
                int n = socket.recv(buf, buf.length, LocalFd.MSG_PEEK | (stream ? 0 : MSG_TRUNC));
                if (n < 0 || (endsAtEmpty && n == 0)) {
                    break;
                }
                if (n > buf.length) {
                    throw new Unsavable("a socket with a queued message of " + n + " bytes (more than "
                            + MAX_MESSAGE + ")");
                }
                if (stream) {
                    bytes.write(buf, 0, n);
                } else {
                    out.add(Arrays.copyOf(buf, n));
                }
            }
            if (stream && bytes.size() > 0) {
                out.add(bytes.toByteArray());
            }
            return out;
        } finally {
            socket.setsockoptInt(SOL_SOCKET, SO_PEEK_OFF, saved);
        }
    }
}
