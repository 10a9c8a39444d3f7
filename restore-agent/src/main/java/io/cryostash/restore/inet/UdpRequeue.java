// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.linux.SocketOptions;
import io.cryostash.schema.image.fds.InetSocketFile;

/**
 * Delivers a restored UDP socket the datagrams it had queued, from their original senders: each
 * is written as a whole IP packet (header, UDP header, data) on a raw socket of the agent
 * (IPPROTO_RAW: the agent writes the header, so the source is the sender's address and port),
 * addressed to the socket's own address (the loopback address for a socket bound to any
 * address). The packet goes through the host's loopback and is queued on the socket in order, so
 * the program reads what it would have read, and a reply goes to the real sender. IPv4 senders
 * of an IPv6 socket (::ffff:a.b.c.d) arrive as IPv4.
 */
final class UdpRequeue {
    static final int IPPROTO_RAW = 255;
    private static final byte[] LOOPBACK4 = {127, 0, 0, 1};
    private static final byte[] LOOPBACK6 = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

    private UdpRequeue() {
    }

    static void deliver(byte[] local, List<InetSocketFile.Datagram> queued) {
        if (queued.isEmpty()) {
            return;
        }
        LocalFd raw4 = null;
        LocalFd raw6 = null;
        try {
            for (InetSocketFile.Datagram d : queued) {
                byte[] source = d.source();
                byte[] src4 = ipv4(source);
                if (src4 != null) {
                    byte[] dst = ipv4(local);
                    dst = dst == null || isAny(dst) ? LOOPBACK4 : dst;
                    if (raw4 == null) {
                        raw4 = LocalFd.socket(SocketOptions.AF_INET, SocketOptions.SOCK_RAW, IPPROTO_RAW);
                    }
                    byte[] packet = packet4(src4, port(source), dst, port(local), d.data());
                    raw4.sendTo(packet, packet.length, sockaddr4(dst));
                } else {
                    byte[] src6 = Arrays.copyOfRange(source, 8, 24);
                    byte[] dst = Arrays.copyOfRange(local, 8, 24);
                    dst = isAny(dst) ? LOOPBACK6 : dst;
                    if (raw6 == null) {
                        raw6 = LocalFd.socket(SocketOptions.AF_INET6, SocketOptions.SOCK_RAW, IPPROTO_RAW);
                    }
                    byte[] packet = packet6(src6, port(source), dst, port(local), d.data());
                    raw6.sendTo(packet, packet.length, sockaddr6(dst));
                }
            }
        } finally {
            if (raw4 != null) {
                raw4.close();
            }
            if (raw6 != null) {
                raw6.close();
            }
        }
    }

    /** The IPv4 address of a sockaddr_in, or of a sockaddr_in6 holding ::ffff:a.b.c.d; null for IPv6. */
    static byte[] ipv4(byte[] sockaddr) {
        if (sockaddr[0] == SocketOptions.AF_INET) {
            return Arrays.copyOfRange(sockaddr, 4, 8);
        }
        for (int i = 8; i < 18; i++) {
            if (sockaddr[i] != 0) {
                return null;
            }
        }
        if ((sockaddr[18] & 0xff) != 0xff || (sockaddr[19] & 0xff) != 0xff) {
            return null;
        }
        return Arrays.copyOfRange(sockaddr, 20, 24);
    }

    private static boolean isAny(byte[] address) {
        for (byte b : address) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static int port(byte[] sockaddr) {
        return ((sockaddr[2] & 0xff) << 8) | (sockaddr[3] & 0xff);
    }

    static byte[] packet4(byte[] src, int srcPort, byte[] dst, int dstPort, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(28 + data.length); // network byte order
        b.put((byte) 0x45).put((byte) 0).putShort((short) (28 + data.length)); // the kernel fills id and checksum
        b.putShort((short) 0).putShort((short) 0x4000).put((byte) 64).put((byte) SocketOptions.IPPROTO_UDP);
        b.putShort((short) 0).put(src).put(dst);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) (8 + data.length));
        b.putShort((short) 0); // no checksum: allowed for UDP over IPv4
        b.put(data);
        return b.array();
    }

    static byte[] packet6(byte[] src, int srcPort, byte[] dst, int dstPort, byte[] data) {
        int udpLength = 8 + data.length;
        ByteBuffer b = ByteBuffer.allocate(40 + udpLength);
        b.putInt(0x60000000).putShort((short) udpLength).put((byte) SocketOptions.IPPROTO_UDP).put((byte) 64);
        b.put(src).put(dst);
        b.putShort((short) srcPort).putShort((short) dstPort).putShort((short) udpLength).putShort((short) 0);
        b.put(data);
        // mandatory over IPv6: ones' complement sum of the pseudo-header and the UDP header and data
        long sum = sum(src) + sum(dst) + udpLength + SocketOptions.IPPROTO_UDP + sum(Arrays.copyOfRange(b.array(), 40,
                b.capacity()));
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        int checksum = (int) (~sum & 0xffff);
        b.putShort(46, (short) (checksum == 0 ? 0xffff : checksum));
        return b.array();
    }

    private static long sum(byte[] bytes) {
        long s = 0;
        for (int i = 0; i < bytes.length; i += 2) {
            int hi = bytes[i] & 0xff;
            int lo = i + 1 < bytes.length ? bytes[i + 1] & 0xff : 0;
            s += (hi << 8) | lo;
        }
        return s;
    }

    private static byte[] sockaddr4(byte[] address) {
        byte[] a = new byte[16];
        a[0] = (byte) SocketOptions.AF_INET;
        System.arraycopy(address, 0, a, 4, 4);
        return a;
    }

    private static byte[] sockaddr6(byte[] address) {
        byte[] a = new byte[28];
        a[0] = (byte) SocketOptions.AF_INET6;
        System.arraycopy(address, 0, a, 8, 16);
        return a;
    }
}
