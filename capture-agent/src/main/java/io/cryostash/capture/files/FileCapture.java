// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FsState;

/**
 * Open descriptors, working directory and root. Descriptors on regular files, directories and
 * device nodes are reopened by path on restore; pipes, sockets and terminals are recorded as
 * unreopenable so that restore can say where their output went instead.
 */
public final class FileCapture {
    private FileCapture() {
    }

    public static List<FdEntry> descriptors(int pid) {
        List<FdEntry> out = new ArrayList<>();
        for (FdInfo fd : FdInfo.read(pid)) {
            if (fd.target().equals("anon_inode:[userfaultfd]")) {
                continue; // the write tracker Cryostash keeps in the process, not the program's
            }
            out.add(new FdEntry(fd.fd(), kindOf(fd.target()), fd.target(), fd.flags(), fd.pos()));
        }
        return out;
    }

    public static FsState fs(int pid, int umask) {
        return new FsState(ProcFiles.link(pid, "cwd"), ProcFiles.link(pid, "root"), umask);
    }

    static FdEntry.Kind kindOf(String target) {
        if (!target.startsWith("/") || target.endsWith(" (deleted)")) {
            return FdEntry.Kind.UNREOPENABLE; // pipe:[…], socket:[…], anon_inode:…, deleted files
        }
        if (target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console")
                || target.equals("/dev/ptmx")) {
            return FdEntry.Kind.UNREOPENABLE; // a terminal belongs to the session that had it
        }
        try {
            BasicFileAttributes a = Files.readAttributes(Path.of(target), BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                return FdEntry.Kind.DIRECTORY;
            }
            if (a.isRegularFile()) {
                return FdEntry.Kind.REGULAR;
            }
            if (a.isOther() && target.startsWith("/dev/")) {
                return FdEntry.Kind.CHARACTER_DEVICE;
            }
        } catch (IOException e) {
            return FdEntry.Kind.UNREOPENABLE;
        }
        return FdEntry.Kind.UNREOPENABLE;
    }
}
