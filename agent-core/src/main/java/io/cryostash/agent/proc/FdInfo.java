// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** /proc/PID/fd links and /proc/PID/fdinfo positions and flags. */
public record FdInfo(int fd, String target, long pos, int flags) {

    public static List<FdInfo> read(int pid) {
        List<FdInfo> out = new ArrayList<>();
        Path dir = ProcPath.of(pid, "fd");
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                int fd = Integer.parseInt(p.getFileName().toString());
                String target;
                String info;
                try {
                    target = Files.readSymbolicLink(p).toString();
                    info = Files.readString(ProcPath.of(pid, "fdinfo", Integer.toString(fd)));
                } catch (NoSuchFileException closedMeanwhile) {
                    continue;
                }
                long pos = 0;
                int flags = 0;
                for (String line : info.split("\n")) {
                    if (line.startsWith("pos:")) {
                        pos = Long.parseLong(line.substring(4).trim());
                    } else if (line.startsWith("flags:")) {
                        flags = Integer.parseInt(line.substring(6).trim(), 8);
                    }
                }
                out.add(new FdInfo(fd, target, pos, flags));
            }
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, "fd", e);
        }
        out.sort((a, b) -> Integer.compare(a.fd(), b.fd()));
        return out;
    }
}
