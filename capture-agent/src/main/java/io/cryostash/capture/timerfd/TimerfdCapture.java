// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.timerfd;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.TimerfdFile;

/**
 * A timerfd from fdinfo: clock, expirations not yet read, and the time left and interval (the
 * kernel shows what is left even for an absolute timer, so the image holds relative times).
 */
public final class TimerfdCapture implements FdCapturer {
    private static final Pattern PAIR = Pattern.compile("\\((\\d+), (\\d+)\\)");

    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.TIMERFD;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        String clock = info.value("clockid:");
        String ticks = info.value("ticks:");
        String value = info.value("it_value:");
        String interval = info.value("it_interval:");
        if (clock == null || ticks == null || value == null || interval == null) {
            throw new Unsavable("a timerfd whose timer this kernel does not show");
        }
        return slot.withFile(new TimerfdFile(Integer.parseInt(clock), nanos(value), nanos(interval),
                Long.parseLong(ticks)));
    }

    static long nanos(String pair) {
        Matcher m = PAIR.matcher(pair);
        if (!m.matches()) {
            throw new Unsavable("a timerfd with a time this agent cannot read: " + pair);
        }
        return Long.parseLong(m.group(1)) * 1_000_000_000L + Long.parseLong(m.group(2));
    }
}
