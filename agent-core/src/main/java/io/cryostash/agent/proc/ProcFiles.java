// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

/** Small /proc files: links, cmdline, auxv, personality, task list. */
public final class ProcFiles {
    private ProcFiles() {
    }

    public static String link(int pid, String name) {
        try {
            return Files.readSymbolicLink(ProcPath.of(pid, name)).toString();
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, name, e);
        }
    }

    public static List<String> cmdline(int pid) {
        byte[] b = ProcPath.readBytes(pid, "cmdline");
        List<String> out = new ArrayList<>();
        int s = 0;
        for (int i = 0; i < b.length; i++) {
            if (b[i] == 0) {
                out.add(new String(b, s, i - s, StandardCharsets.UTF_8));
                s = i + 1;
            }
        }
        if (s < b.length) {
            out.add(new String(b, s, b.length - s, StandardCharsets.UTF_8));
        }
        return out;
    }

    public static byte[] auxv(int pid) {
        return ProcPath.readBytes(pid, "auxv");
    }

    public static long personality(int pid) {
        return Long.parseLong(ProcPath.readString(pid, "personality").trim(), 16);
    }

    public static List<Integer> tasks(int pid) {
        List<Integer> out = new ArrayList<>();
        try (var ds = Files.newDirectoryStream(ProcPath.of(pid, "task"))) {
            for (var p : ds) {
                out.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, "task", e);
        }
        out.sort(Integer::compare);
        return out;
    }

}
