// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.signalfd;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.SignalfdFile;

/**
 * A signalfd: the signals it reads (fdinfo "sigmask"). The signals themselves stay pending in
 * the process, which is where the threads package saves pending signals.
 */
public final class SignalfdCapture implements FdCapturer {
    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.SIGNALFD;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        String mask = info.value("sigmask:");
        if (mask == null) {
            throw new Unsavable("a signalfd whose mask this kernel does not show");
        }
        return slot.withFile(new SignalfdFile(Long.parseUnsignedLong(mask, 16)));
    }
}
