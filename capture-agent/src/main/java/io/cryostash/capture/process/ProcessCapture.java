// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.proc.ProcStatus;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.HostInfo;
import io.cryostash.schema.image.MmLayout;
import io.cryostash.schema.image.ProcessInfo;

/** Process-wide identity and bookkeeping: who it is, who it runs as, its mm layout, its files. */
public final class ProcessCapture {
    private ProcessCapture() {
    }

    public static ProcessInfo identity(int pid, ProcStat stat) {
        return new ProcessInfo(pid, stat.ppid(), stat.pgrp(), stat.session(), stat.comm(), ProcFiles.cmdline(pid),
                ProcFiles.link(pid, "exe"), ProcFiles.personality(pid));
    }

    public static Credentials credentials(ProcStatus st) {
        int[] u = st.uids();
        int[] g = st.gids();
        return new Credentials(u[0], u[1], u[2], u[3], g[0], g[1], g[2], g[3], List.copyOf(st.groups()));
    }

    public static MmLayout mm(int pid, ProcStat stat, long brk, String exe) {
        return new MmLayout(stat.startCode(), stat.endCode(), stat.startData(), stat.endData(), stat.startBrk(), brk,
                stat.startStack(), stat.argStart(), stat.argEnd(), stat.envStart(), stat.envEnd(),
                ProcFiles.auxv(pid), exe);
    }

    /** Every file the image needs to find again, as it is now. */
    public static List<FileFingerprint> fingerprints(String exe, List<MapsEntry> maps) {
        Set<String> paths = new LinkedHashSet<>();
        paths.add(exe);
        for (MapsEntry e : maps) {
            if (e.isFile() && !e.isDeleted()) {
                paths.add(e.path());
            }
        }
        return paths.stream().map(ProcessCapture::fingerprint).toList();
    }

    public static FileFingerprint fingerprint(String path) {
        try {
            Map<String, Object> a = Files.readAttributes(Path.of(path), "unix:size,lastModifiedTime,ino");
            return new FileFingerprint(path, (Long) a.get("size"),
                    ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS), (Long) a.get("ino"), null);
        } catch (IOException e) {
            throw new CaptureException("cannot stat " + path + ", which the process maps: " + e.getMessage(), e);
        }
    }

    public static HostInfo host(String vdsoSha256, long xstateSize) {
        return new HostInfo(read("/proc/sys/kernel/hostname"), read("/proc/sys/kernel/osrelease"),
                System.getProperty("os.arch"), vdsoSha256, xstateSize);
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
