// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.inotify;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.agent.linux.FileHandles;
import io.cryostash.agent.linux.LocalFd;
import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.InotifyFile;

/**
 * An inotify instance: each watch's number and mask from fdinfo, and its path, found again by
 * opening the file handle the kernel shows (open_by_handle_at on the watched file system's
 * mount, from /proc/PID/mountinfo). Events already queued cannot be read without taking them
 * from the program, so an instance with unread events is refused (try again once it read them).
 */
public final class InotifyCapture implements FdCapturer {
    private static final Pattern WATCH = Pattern.compile("inotify wd:([0-9a-f]+) ino:[0-9a-f]+ sdev:([0-9a-f]+)"
            + " mask:([0-9a-f]+) ignored_mask:[0-9a-f]+ fhandle-bytes:([0-9a-f]+) fhandle-type:([0-9a-f]+)"
            + " f_handle:([0-9a-f]+).*");

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.INOTIFY;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        if (!ctx.readState()) {
            return slot;
        }
        try (LocalFd copy = ctx.take(info.fd())) {
            int queued = copy.available();
            if (queued > 0) {
                throw new Unsavable("an inotify instance with " + queued + " bytes of events not read yet (they"
                        + " cannot be copied without taking them from the program; try again once it has read them)");
            }
        }
        List<InotifyFile.Watch> watches = new ArrayList<>();
        for (String line : info.lines("inotify ")) {
            Matcher m = WATCH.matcher(line);
            if (!m.matches()) {
                throw new Unsavable("an inotify instance with a watch this agent cannot read: " + line);
            }
            long sdev = Long.parseLong(m.group(2), 16);
            String path = pathOf(ctx.pid(), sdev, Integer.parseInt(m.group(5), 16), HexFormat.of().parseHex(m.group(6)));
            watches.add(new InotifyFile.Watch(Integer.parseInt(m.group(1), 16), path,
                    (int) Long.parseLong(m.group(3), 16)));
        }
        watches.sort((a, b) -> Integer.compare(a.wd(), b.wd()));
        return slot.withFile(new InotifyFile(watches));
    }

    /** The path of a watched file, from its handle; the kernel's dev_t is major << 20 | minor. */
    static String pathOf(int pid, long sdev, int type, byte[] handle) {
        String dev = (sdev >> 20) + ":" + (sdev & 0xfffff);
        String mountPoint = null;
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/mountinfo"))) {
                String[] w = line.split(" ");
                if (w.length > 4 && w[2].equals(dev)) {
                    mountPoint = w[4].replace("\\040", " ");
                    break;
                }
            }
        } catch (IOException e) {
            throw new Unsavable("an inotify watch on a file system that cannot be found (" + e.getMessage() + ")");
        }
        if (mountPoint == null) {
            throw new Unsavable("an inotify watch on device " + dev + ", which is mounted nowhere the process sees");
        }
        // the mount descriptor must be a real open (this kernel refuses an O_PATH one with EBADF)
        try (LocalFd mount = LocalFd.open("/proc/" + pid + "/root" + mountPoint, LocalFd.O_RDONLY
                | FileHandles.O_DIRECTORY); LocalFd watched = FileHandles.open(mount, type, handle)) {
            String path = Files.readSymbolicLink(Path.of("/proc/self/fd/" + watched.fd())).toString();
            if (!path.startsWith("/") || path.endsWith(" (deleted)")) {
                throw new Unsavable("an inotify watch on a file that was deleted (" + path + ")");
            }
            return path;
        } catch (IOException | RuntimeException e) {
            if (e instanceof Unsavable u) {
                throw u;
            }
            throw new Unsavable("an inotify watch whose file cannot be found again (" + e.getMessage() + ")");
        }
    }
}
