// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Small /proc readings that tests assert on. */
public final class ProcState {
    private static final Pattern KB = Pattern.compile("(?m)^%s:\\s+(\\d+) kB");

    private ProcState() {
    }

    /** The state letter of /proc/PID/stat ('R', 'S', 't', 'T', 'Z', …), or 0 when the process is gone. */
    public static char of(long pid) {
        try {
            String s = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return s.charAt(s.lastIndexOf(')') + 2);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** Alive and not stopped: neither gone, a zombie, nor in a (ptrace) stop. */
    public static boolean runningFreely(long pid) {
        char s = of(pid);
        return s != 0 && s != 'Z' && s != 'X' && s != 't' && s != 'T';
    }

    /** Every thread of the process alive and none in a stop (a process frozen by ptrace shows 't' per thread). */
    public static boolean allThreadsRunningFreely(long pid) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.map(t -> t.getFileName().toString()).allMatch(tid -> {
                char s = of(pid + "/task/" + tid);
                return s == 0 || (s != 't' && s != 'T'); // 0: exited meanwhile
            }) && runningFreely(pid);
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** The thread ids of the process, from /proc/PID/task. */
    public static java.util.List<Integer> threads(long pid) {
        try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            return tasks.map(t -> Integer.parseInt(t.getFileName().toString())).sorted().toList();
        } catch (IOException e) {
            throw new AssertionError("cannot list the threads of " + pid + ": " + e.getMessage());
        }
    }

    private static char of(String path) {
        try {
            String s = Files.readString(Path.of("/proc/" + path + "/stat"));
            return s.charAt(s.lastIndexOf(')') + 2);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    /** A "Key:  N kB" line of /proc/PID/smaps_rollup or status, in bytes. */
    public static long kbField(long pid, String file, String key) {
        String text = read(pid, file);
        Matcher m = Pattern.compile(String.format(KB.pattern(), Pattern.quote(key))).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + key + " in /proc/" + pid + "/" + file + ":\n" + text);
        }
        return Long.parseLong(m.group(1)) * 1024;
    }

    /** The value part of a "Key:\tvalue" line of /proc/PID/status. */
    public static String statusLine(long pid, String key) {
        for (String line : read(pid, "status").split("\n")) {
            if (line.startsWith(key + ":")) {
                return line.substring(key.length() + 1).trim();
            }
        }
        throw new AssertionError("no " + key + " in /proc/" + pid + "/status");
    }

    public static String read(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/" + file));
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/" + pid + "/" + file + ": " + e.getMessage());
        }
    }

    public static byte[] readBytes(long pid, String file) {
        try {
            return Files.readAllBytes(Path.of("/proc/" + pid + "/" + file));
        } catch (IOException e) {
            throw new AssertionError("cannot read /proc/" + pid + "/" + file + ": " + e.getMessage());
        }
    }
}
