// SPDX-License-Identifier: Apache-2.0
package io.cryostash.stack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports for services that must know their port before they start (KRaft's voter list). */
public final class FreePorts {
    private FreePorts() {
    }

    public static int pick(String address) {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + address + ": " + e.getMessage(), e);
        }
    }

    /** Whether {@code port} can be bound on {@code address} now. */
    public static boolean isFree(String address, int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(address))) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
