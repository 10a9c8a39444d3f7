// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.eventfd;

import io.cryostash.agent.proc.FdInfo;
import io.cryostash.capture.files.FdCaptureContext;
import io.cryostash.capture.files.FdCapturer;
import io.cryostash.capture.files.Unsavable;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.fds.EventfdFile;

/** An eventfd: counter and semaphore mode, from fdinfo ("eventfd-count", "eventfd-semaphore"). */
public final class EventfdCapture implements FdCapturer {
    @Override
    public FdEntry.Kind kind() {
        return FdEntry.Kind.EVENTFD;
    }

    @Override
    public FdEntry capture(FdCaptureContext ctx, FdEntry slot, FdInfo info) {
        String count = info.value("eventfd-count:");
        if (count == null) {
            throw new Unsavable("an eventfd whose counter this kernel does not show");
        }
        String sem = info.value("eventfd-semaphore:");
        return slot.withFile(new EventfdFile(Long.parseUnsignedLong(count, 16), "1".equals(sem)));
    }
}
