// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.nio.charset.StandardCharsets;

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
        // only the lines kept: a freeze parses one text per thread
        String state = "?";
        String ns = null;
        String seccomp = "0";
        boolean noNewPrivs = false;
        String[] creds = new String[CREDENTIAL_LINES.length];
        for (int from = 0; from < text.length(); ) {
            int end = text.indexOf('\n', from);
            if (end < 0) {
                end = text.length();
            }
            int c = text.indexOf(':', from);
            if (c > from && c < end) {
                String key = text.substring(from, c);
                switch (key) {
                    case "State" -> state = text.substring(c + 1, end).trim();
                    case "NSpid" -> ns = text.substring(c + 1, end).trim();
                    case "Seccomp" -> seccomp = text.substring(c + 1, end).trim();
                    case "NoNewPrivs" -> noNewPrivs = "1".equals(text.substring(c + 1, end).trim());
                    default -> {
                        for (int k = 0; k < CREDENTIAL_LINES.length; k++) {
                            if (CREDENTIAL_LINES[k].equals(key)) {
                                creds[k] = text.substring(c + 1, end).trim();
                            }
                        }
                    }
                }
            }
            from = end + 1;
        }
        StringBuilder credentials = new StringBuilder();
        for (int k = 0; k < CREDENTIAL_LINES.length; k++) {
            credentials.append(CREDENTIAL_LINES[k]).append(": ").append(creds[k] == null ? "" : creds[k]).append('\n');
        }
        String[] parts = (ns == null ? Integer.toString(tid) : ns).split("\\s+");
        int[] nsPids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            nsPids[i] = Integer.parseInt(parts[i]);
        }
        return new TaskStatus(tid, state.isEmpty() ? '?' : state.charAt(0), nsPids, credentials.toString(),
                Integer.parseInt(seccomp), noNewPrivs);
    }

    /** The thread's id in its own (innermost) PID namespace: what gettid() returns inside it. */
    public int ownTid() {
        return nsPids[nsPids.length - 1];
    }
}
