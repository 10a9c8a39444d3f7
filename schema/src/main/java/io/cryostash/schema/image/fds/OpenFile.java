// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image.fds;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * What one kind of open file keeps beyond its descriptor slot (CRIU's per-kind file entries):
 * one record per kind, named in the JSON by {@code @type}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = PipeFile.class, name = "pipe"),
    @JsonSubTypes.Type(value = EventfdFile.class, name = "eventfd"),
    @JsonSubTypes.Type(value = TimerfdFile.class, name = "timerfd"),
    @JsonSubTypes.Type(value = SignalfdFile.class, name = "signalfd"),
    @JsonSubTypes.Type(value = EpollFile.class, name = "epoll"),
    @JsonSubTypes.Type(value = InotifyFile.class, name = "inotify"),
    @JsonSubTypes.Type(value = MemoryFile.class, name = "memory-file"),
    @JsonSubTypes.Type(value = UnixSocketFile.class, name = "unix-socket"),
    @JsonSubTypes.Type(value = InetSocketFile.class, name = "inet-socket"),
    @JsonSubTypes.Type(value = TerminalFile.class, name = "terminal"),
})
public sealed interface OpenFile permits PipeFile, EventfdFile, TimerfdFile, SignalfdFile, EpollFile, InotifyFile,
        MemoryFile, UnixSocketFile, InetSocketFile, TerminalFile {
}
