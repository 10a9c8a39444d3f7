// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.epoll;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.EpollFile;

/**
 * An epoll set: every registration (descriptor, events, data) from fdinfo. A registration is
 * keyed by file and number; one whose number now names another file (closed, or closed and
 * reused) cannot be registered again the same way and is refused.
 */
public final class EpollCapture implements FdCapturer {
    private static final Pattern TARGET = Pattern.compile(
            "tfd:\\s*(\\d+)\\s+events:\\s*([0-9a-f]+)\\s+data:\\s*([0-9a-f]+)\\s+pos:\\d+\\s+ino:([0-9a-f]+).*");

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.EPOLL;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        List<EpollFile.Target> targets = new ArrayList<>();
        for (String line : info.lines("tfd:")) {
            Matcher m = TARGET.matcher(line);
            if (!m.matches()) {
                throw new Unsavable("an epoll set with a registration this agent cannot read: " + line);
            }
            int fd = Integer.parseInt(m.group(1));
            long ino = Long.parseLong(m.group(4), 16);
            FdInfo registered = ctx.descriptor(fd);
            if (registered == null || registered.ino() != ino) {
                throw new Unsavable("an epoll set watching descriptor " + fd + ", which is closed or now another file");
            }
            targets.add(new EpollFile.Target(fd, (int) Long.parseLong(m.group(2), 16),
                    Long.parseUnsignedLong(m.group(3), 16)));
        }
        return slot.withFile(new EpollFile(targets));
    }
}
