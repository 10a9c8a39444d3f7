// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What one JVM process holds, seen from outside as an operator would: the Java heap in use after a
 * full collection (jcmd GC.run, then GC.heap_info: what is still reachable, so a leak shows as a
 * rising floor rather than as the sawtooth of ordinary allocation), metaspace, and from /proc its
 * resident set, threads and open descriptors.
 */
record AgentMemory(long heapUsedBytes, long heapCommittedBytes, long metaspaceBytes, long rssBytes, int threads, int fds) {
    private static final Pattern GEN = Pattern.compile("^\\s*(garbage-first heap|def new generation|tenured generation|PSYoungGen|ParOldGen"
            + "|ZHeap|Shenandoah)?.*?total (\\d+)K, used (\\d+)K", Pattern.MULTILINE);
    private static final Pattern META = Pattern.compile("Metaspace\\s+used (\\d+)K");

    static AgentMemory of(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        String heapPart = info.contains("Metaspace") ? info.substring(0, info.indexOf("Metaspace")) : info;
        long used = 0;
        long committed = 0;
        Matcher m = GEN.matcher(heapPart);
        while (m.find()) {
            committed += Long.parseLong(m.group(2)) << 10;
            used += Long.parseLong(m.group(3)) << 10;
        }
        if (committed == 0) throw new IllegalStateException("cannot read the heap of " + pid + " from: " + info);
        Matcher meta = META.matcher(info);
        long metaspace = meta.find() ? Long.parseLong(meta.group(1)) << 10 : -1;
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        long rss = statusKb(status, "VmRSS") << 10;
        int threads = (int) statusKb(status, "Threads");
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) s.count();
        }
        return new AgentMemory(used, committed, metaspace, rss, threads, fds);
    }

    private static long statusKb(String status, String field) {
        for (String line : status.split("\n")) {
            if (line.startsWith(field + ":")) return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
        throw new IllegalStateException("no " + field + " in /proc status");
    }

    static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + out);
        }
        return out;
    }
}
