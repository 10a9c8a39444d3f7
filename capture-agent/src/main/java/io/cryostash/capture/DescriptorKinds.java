// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.util.List;

import io.cryostash.capture.epoll.EpollCapture;
import io.cryostash.capture.eventfd.EventfdCapture;
import io.cryostash.capture.files.DescriptorCapture;
import io.cryostash.capture.inet.InetSocketCapture;
import io.cryostash.capture.inotify.InotifyCapture;
import io.cryostash.capture.locks.LockCapture;
import io.cryostash.capture.memfd.MemoryFileCapture;
import io.cryostash.capture.pipes.PipeCapture;
import io.cryostash.capture.signalfd.SignalfdCapture;
import io.cryostash.capture.terminals.TerminalCapture;
import io.cryostash.capture.timerfd.TimerfdCapture;
import io.cryostash.capture.unixsockets.UnixSocketCapture;

/**
 * The registry of descriptor kinds Cryostash saves: one capturer per kind, each in its own
 * package. A kind not listed is refused at capture, naming the descriptor.
 */
final class DescriptorKinds {
    private DescriptorKinds() {
    }

    static DescriptorCapture standard() {
        return new DescriptorCapture(List.of(PipeCapture.pipes(), PipeCapture.fifos(), new EventfdCapture(),
                new TimerfdCapture(), new SignalfdCapture(), new EpollCapture(), new InotifyCapture(), MemoryFileCapture.memfds(),
                MemoryFileCapture.deletedFiles(), new UnixSocketCapture(), InetSocketCapture.tcp(),
                InetSocketCapture.udp(), new TerminalCapture()), new LockCapture());
    }
}
