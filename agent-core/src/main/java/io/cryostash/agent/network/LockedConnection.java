// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.network;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * One TCP connection as the host's packet filter sees it: the process's own address and port
 * and its peer's. An IPv6 socket talking to an IPv4 peer (::ffff:a.b.c.d) sends IPv4 packets, so
 * it is kept as IPv4.
 */
public record LockedConnection(InetAddress local, int localPort, InetAddress peer, int peerPort) {

    /** From the sockaddr_in or sockaddr_in6 bytes getsockname and getpeername give. */
    public static LockedConnection of(byte[] local, byte[] peer) {
        return new LockedConnection(address(local), port(local), address(peer), port(peer));
    }

    public boolean ipv4() {
        return local.getAddress().length == 4;
    }

    /** The set element, in the order local address, local port, peer address, peer port. */
    String element() {
        return local.getHostAddress() + " . " + localPort + " . " + peer.getHostAddress() + " . " + peerPort;
    }

    @Override
    public String toString() {
        return hostPort(local, localPort) + " to " + hostPort(peer, peerPort);
    }

    private static String hostPort(InetAddress a, int port) {
        return (a.getAddress().length == 4 ? a.getHostAddress() : "[" + a.getHostAddress() + "]") + ":" + port;
    }

    private static int port(byte[] sockaddr) {
        return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
    }

    private static InetAddress address(byte[] sockaddr) {
        try {
            if (sockaddr[0] == 2) { // AF_INET: family (2), port (2), address (4)
                return InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 4, 8));
            }
            // AF_INET6: family, port, flow info (4), address (16); getByAddress turns ::ffff:a.b.c.d into IPv4
            return InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 8, 24));
        } catch (UnknownHostException | ArrayIndexOutOfBoundsException e) {
            throw new IllegalArgumentException("not an IPv4 or IPv6 socket address: " + Arrays.toString(sockaddr), e);
        }
    }
}
