// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import java.util.List;
import java.util.Map;

/**
 * A TCP or UDP socket (IPv4 or IPv6).
 *
 * @param family   AF_INET (2) or AF_INET6 (10)
 * @param protocol IPPROTO_TCP (6) or IPPROTO_UDP (17)
 * @param local    its own sockaddr (getsockname; port 0 when not bound)
 * @param peer     the sockaddr it is connected to, or null
 * @param backlog  LISTENING: the listen backlog
 * @param options  socket options set on it, by name (SO_REUSEADDR, TCP_NODELAY, …), restored as they were
 * @param repair   ESTABLISHED TCP: what TCP_REPAIR read (sequence numbers, queues, window, options)
 * @param networkLock ESTABLISHED TCP: the host's network lock (nftables table) that drops this
 *                 connection's packets from the capture until its restore, which releases it;
 *                 null when it was not locked (captured without --kill, or no nft on the host)
 * @param queued   UDP: the datagrams queued to read, oldest first, each with its sender
 */
public record InetSocketFile(int family, int protocol, State state, byte[] local, byte[] peer, int backlog,
                             Map<String, Integer> options, TcpRepair repair, String networkLock,
                             List<Datagram> queued) implements OpenFile {
    public InetSocketFile {
        options = options == null ? Map.of() : Map.copyOf(options);
        queued = queued == null ? List.of() : List.copyOf(queued);
    }

    /**
     * A datagram a UDP socket had received and the program not read yet.
     *
     * @param source the sockaddr it came from (sockaddr_in or sockaddr_in6)
     * @param data   its bytes
     */
    public record Datagram(byte[] source, byte[] data) {
    }

    public enum State { UNCONNECTED, LISTENING, CONNECTED, ESTABLISHED }

    /**
     * An established TCP connection as TCP_REPAIR shows it.
     *
     * @param sendSeq   sequence number of the first byte of the send queue
     * @param recvSeq   sequence number of the next byte to be read
     * @param sent      bytes sent and not acknowledged yet (restored as sent: the kernel retransmits them)
     * @param unsent    bytes written by the program and not sent yet
     * @param received  bytes received and not read yet by the program
     * @param mss       maximum segment size
     * @param sndWscale window scale for sending (-1 when not negotiated)
     * @param rcvWscale window scale for receiving
     * @param sack      SACK permitted
     * @param timestamp the connection's TCP timestamp clock (TCP_TIMESTAMP), -1 when timestamps are off
     * @param window    tcp_repair_window: snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup
     */
    public record TcpRepair(long sendSeq, long recvSeq, byte[] sent, byte[] unsent, byte[] received, int mss,
                            int sndWscale, int rcvWscale, boolean sack, long timestamp, long[] window) {
    }
}
