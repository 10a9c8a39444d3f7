// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.linux;

import java.util.List;

/** Socket levels, options and ioctls the agents read and set (linux/socket.h, linux/tcp.h). */
public final class SocketOptions {
    public static final int SOL_SOCKET = 1;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_IPV6 = 41;
    public static final int SO_TYPE = 3;
    public static final int SO_ACCEPTCONN = 30;
    public static final int SO_DOMAIN = 39;
    public static final int SO_PROTOCOL = 38;
    public static final int TCP_MAXSEG = 2;
    public static final int TCP_INFO = 11;
    public static final int TCP_REPAIR = 19;
    public static final int TCP_REPAIR_QUEUE = 20;
    public static final int TCP_QUEUE_SEQ = 21;
    public static final int TCP_REPAIR_OPTIONS = 22;
    public static final int TCP_TIMESTAMP = 24;
    public static final int TCP_REPAIR_WINDOW = 29;
    public static final int TCP_NO_QUEUE = 0;
    public static final int TCP_RECV_QUEUE = 1;
    public static final int TCP_SEND_QUEUE = 2;
    public static final long SIOCOUTQ = 0x5411;
    public static final long SIOCOUTQNSD = 0x894B;

    /** An integer option kept across a checkpoint: its name in the image, level and number. */
    public record IntOption(String name, int level, int option) {
    }

    /** Options whose value a program sets and expects to keep. */
    public static final List<IntOption> KEPT = List.of(
            new IntOption("SO_REUSEADDR", SOL_SOCKET, 2),
            new IntOption("SO_KEEPALIVE", SOL_SOCKET, 9),
            new IntOption("SO_BROADCAST", SOL_SOCKET, 6),
            new IntOption("SO_REUSEPORT", SOL_SOCKET, 15),
            new IntOption("SO_PRIORITY", SOL_SOCKET, 12),
            new IntOption("TCP_NODELAY", IPPROTO_TCP, 1),
            new IntOption("TCP_KEEPIDLE", IPPROTO_TCP, 4),
            new IntOption("TCP_KEEPINTVL", IPPROTO_TCP, 5),
            new IntOption("TCP_KEEPCNT", IPPROTO_TCP, 6),
            new IntOption("IPV6_V6ONLY", IPPROTO_IPV6, 26));

    private SocketOptions() {
    }
}
