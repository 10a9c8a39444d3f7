// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.util.List;

import io.cryostash.restore.epoll.EpollRestore;
import io.cryostash.restore.eventfd.EventfdRestore;
import io.cryostash.restore.files.DescriptorRestore;
import io.cryostash.restore.inet.InetSocketRestore;
import io.cryostash.restore.inotify.InotifyRestore;
import io.cryostash.restore.locks.LockRestore;
import io.cryostash.restore.memfd.MemoryFileRestore;
import io.cryostash.restore.pipes.FifoRestore;
import io.cryostash.restore.pipes.PipeRestore;
import io.cryostash.restore.signalfd.SignalfdRestore;
import io.cryostash.restore.terminals.TerminalRestore;
import io.cryostash.restore.timerfd.TimerfdRestore;
import io.cryostash.restore.unixsockets.UnixSocketRestore;

/**
 * The registry of descriptor kinds this agent restores, one restorer per kind, each in its own
 * package; {@link DescriptorRestore} says in which order they run and why.
 */
final class DescriptorKinds {
    private DescriptorKinds() {
    }

    static DescriptorRestore standard() {
        return new DescriptorRestore(List.of(new PipeRestore(), new FifoRestore(), new EventfdRestore(),
                new TimerfdRestore(), new SignalfdRestore(), new InotifyRestore(), MemoryFileRestore.memfds(),
                MemoryFileRestore.deletedFiles(), new UnixSocketRestore(), InetSocketRestore.tcp(),
                InetSocketRestore.udp(), new TerminalRestore(), new EpollRestore()),
                List.of(new LockRestore()));
    }
}
