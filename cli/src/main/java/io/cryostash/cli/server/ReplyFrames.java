// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * The daemon's side of a reply (protocol: cli/src/main/c/cryostash-client.c): frames of one
 * kind byte, a length and a payload. Once the client is gone, frames are dropped: the command
 * still ends as it would, and the caller's hang-up is handled elsewhere.
 */
final class ReplyFrames {
    static final byte STARTED = 'S';
    static final byte OUT = 'O';
    static final byte ERR = 'E';
    static final byte EXIT = 'X';
    static final byte NOT_SERVED = 'F';
    private static final int MAX_FRAME = 1 << 20;

    private final WritableByteChannel channel;
    private boolean gone;

    ReplyFrames(WritableByteChannel channel) {
        this.channel = channel;
    }

    synchronized void send(byte kind, byte[] b, int off, int len) {
        while (!gone) {
            int n = Math.min(len, MAX_FRAME);
            ByteBuffer frame = ByteBuffer.allocate(5 + n).put(kind).putInt(n).put(b, off, n).flip();
            try {
                while (frame.hasRemaining()) {
                    channel.write(frame);
                }
            } catch (IOException e) {
                gone = true;
            }
            off += n;
            len -= n;
            if (len == 0) {
                return;
            }
        }
    }

    void started() {
        send(STARTED, new byte[0], 0, 0);
    }

    void notServed() {
        send(NOT_SERVED, new byte[0], 0, 0);
    }

    void exit(int status) {
        send(EXIT, ByteBuffer.allocate(4).putInt(status).array(), 0, 4);
    }

    /** One of the client's standard streams; buffered, sent at each flush. */
    OutputStream stream(byte kind) {
        return new java.io.BufferedOutputStream(new OutputStream() {
            @Override
            public void write(int b) {
                send(kind, new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                send(kind, b, off, len);
            }
        }, 8192);
    }
}
