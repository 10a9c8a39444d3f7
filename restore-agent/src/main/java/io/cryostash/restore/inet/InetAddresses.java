// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.inet;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/** sockaddr_in and sockaddr_in6 as text, for messages. */
final class InetAddresses {
    private InetAddresses() {
    }

    static String describe(byte[] sockaddr) {
        if (sockaddr == null || sockaddr.length < 8) {
            return "?";
        }
        int port = InetSocketRestore.port(sockaddr);
        try {
            if (sockaddr[0] == 2) {
                return InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 4, 8)).getHostAddress() + ":" + port;
            }
            if (sockaddr.length >= 24) {
                return "[" + InetAddress.getByAddress(Arrays.copyOfRange(sockaddr, 8, 24)).getHostAddress() + "]:" + port;
            }
        } catch (UnknownHostException e) {
            return "?:" + port;
        }
        return "?:" + port;
    }
}
