// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * What /proc/PID/task/TID/status says about one thread that capture checks or keeps: its
 * state, the ids it has in each PID namespace from ours inwards (NSpid), its credentials as
 * one comparable string (every thread of a process normally shares them), seccomp mode and
 * no_new_privs.
 *
 * @param credentials the Uid, Gid, Groups and Cap* lines, joined: equal for threads with equal credentials
 */
public record TaskStatus(int tid, char state, int[] nsPids, String credentials, int seccomp, boolean noNewPrivs) {
    private static final String[] CREDENTIAL_LINES = {"Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd",
        "CapAmb"};

    /** @throws NoSuchProcessException naming {@code tid} when the thread has exited */
    public static TaskStatus read(int pid, int tid) {
        try {
            return parse(tid, ProcPath.readString(pid, "task/" + tid + "/status"));
        } catch (NoSuchProcessException gone) {
            throw new NoSuchProcessException(tid);
        }
    }

    /** The thread's name (comm), as prctl(PR_SET_NAME) set it; at most 15 bytes. */
    public static String comm(int pid, int tid) {
        try {
            byte[] b = ProcPath.readBytes(pid, "task/" + tid + "/comm");
            int n = b.length > 0 && b[b.length - 1] == '\n' ? b.length - 1 : b.length;
            return new String(b, 0, n, StandardCharsets.UTF_8);
        } catch (NoSuchProcessException gone) {
            throw new NoSuchProcessException(tid);
        }
    }

    /**
     * The thread's name from the Name line of its status text, where the kernel writes a newline
     * in it as {@code \\n} and a backslash as two: null when it holds a backslash (read
     * {@link #comm} then, rather than trust an unescaping).
     */
    public static String name(String text) {
        int at = text.startsWith("Name:\t") ? 0 : text.indexOf("\nName:\t") + 1;
        if (at == 0 && !text.startsWith("Name:\t")) {
            return null;
        }
        int from = at + "Name:\t".length();
        int end = text.indexOf('\n', from);
        String name = text.substring(from, end < 0 ? text.length() : end);
        return name.indexOf('\\') >= 0 ? null : name;
    }

    public static TaskStatus parse(int tid, String text) {
        Map<String, String> m = new HashMap<>();
        for (String line : text.split("\n")) {
            int c = line.indexOf(':');
            if (c > 0) {
                m.put(line.substring(0, c), line.substring(c + 1).trim());
            }
        }
        String st = m.getOrDefault("State", "?");
        StringBuilder creds = new StringBuilder();
        for (String k : CREDENTIAL_LINES) {
            creds.append(k).append(": ").append(m.getOrDefault(k, "")).append('\n');
        }
        String ns = m.getOrDefault("NSpid", Integer.toString(tid));
        String[] parts = ns.trim().split("\\s+");
        int[] nsPids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            nsPids[i] = Integer.parseInt(parts[i]);
        }
        return new TaskStatus(tid, st.isEmpty() ? '?' : st.charAt(0), nsPids, creds.toString(),
                Integer.parseInt(m.getOrDefault("Seccomp", "0")), "1".equals(m.get("NoNewPrivs")));
    }

    /** The thread's id in its own (innermost) PID namespace: what gettid() returns inside it. */
    public int ownTid() {
        return nsPids[nsPids.length - 1];
    }
}
