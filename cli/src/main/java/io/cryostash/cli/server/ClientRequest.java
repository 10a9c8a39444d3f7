// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One command line a client hands the daemon (protocol: cli/src/main/c/cryostash-client.c): its
 * arguments, working directory and environment, as the client's process had them.
 */
public record ClientRequest(List<String> args, Path cwd, Map<String, String> env, boolean stdoutTerminal,
                            boolean stderrTerminal) {
    static final int MAGIC = 0x43535431;
    /** Limits on what a request may hold, so a broken or hostile client cannot make the daemon allocate at will. */
    static final int MAX_STRINGS = 16_384;
    static final int MAX_STRING = 1 << 20;
    static final int MAX_TOTAL = 8 << 20;

    public ClientRequest {
        args = List.copyOf(args);
        env = Map.copyOf(env);
    }

    /** Reads a request, refusing anything malformed or over the limits with an {@link IOException} that says what. */
    public static ClientRequest read(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        int magic = in.readInt();
        if (magic != MAGIC) {
            throw new IOException("not a cryostash client (magic " + Integer.toHexString(magic) + ")");
        }
        int flags = in.readInt();
        int[] total = {0};
        List<String> args = strings(in, total);
        String cwd = string(in, total);
        if (!cwd.startsWith("/")) {
            throw new IOException("the client's working directory is not absolute: " + cwd);
        }
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : strings(in, total)) {
            int eq = e.indexOf('=');
            if (eq > 0) {
                env.putIfAbsent(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        return new ClientRequest(args, Path.of(cwd), env, (flags & 1) != 0, (flags & 2) != 0);
    }

    private static List<String> strings(DataInputStream in, int[] total) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRINGS) {
            throw new IOException("a request with " + Integer.toUnsignedString(n) + " strings (at most " + MAX_STRINGS + ")");
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(string(in, total));
        }
        return out;
    }

    private static String string(DataInputStream in, int[] total) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > MAX_STRING || (total[0] += n) > MAX_TOTAL) {
            throw new IOException("a request larger than " + MAX_TOTAL + " bytes or a string over " + MAX_STRING);
        }
        byte[] b = in.readNBytes(n);
        if (b.length != n) {
            throw new EOFException("the request ended early");
        }
        return new String(b, StandardCharsets.UTF_8);
    }
}
