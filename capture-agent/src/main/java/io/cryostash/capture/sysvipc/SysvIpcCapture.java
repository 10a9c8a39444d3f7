// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.sysvipc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import io.cryostash.agent.linux.SysvIpc;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.ProcFiles;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.agent.proc.SysvIpcTable;
import io.cryostash.capture.CaptureException;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.SysvIpcState;
import io.cryostash.schema.store.FileRef;

/**
 * The SysV IPC objects a frozen process uses, with their contents. The kernel keeps no list of
 * the objects a process uses, only traces of its last use, so "uses" means: segments attached
 * (maps lines /SYSV&lt;key&gt; whose inode is the segment's id) or created or last attached or
 * detached by it (cpid, lpid); semaphore sets where it made the last operation on a semaphore
 * (semctl GETPID); queues it sent to or received from last (lspid, lrpid); and whatever the user
 * names ({@link SysvSelection}). A trace only counts when the object's matching time is not older
 * than the process, so a pid reused since leaves no false trace. An object the program knows by
 * id and has not touched yet cannot be found: it must be named.
 *
 * <p>Contents are read without changing what the program sees: a segment through a read-only
 * attachment of the agent's own (its lpid then names the agent), semaphore values with GETALL,
 * messages with msgrcv(MSG_COPY), which takes nothing from the queue.
 */
public final class SysvIpcCapture {
    private static final long CLOCK_TICKS = 100; // USER_HZ on every Linux architecture Cryostash runs on
    private static final int MAX_MESSAGES = 1 << 16;

    /** What was read, segment bytes still in memory until the image is written. */
    public record Captured(SysvIpcState draft, Map<Integer, byte[]> segmentBytes) {
        public static final Captured NONE = new Captured(SysvIpcState.NONE, Map.of());

        /** The state with every segment's bytes stored through {@code put}. */
        public SysvIpcState store(Function<byte[], FileRef> put) {
            if (draft.segments().isEmpty()) {
                return draft;
            }
            List<SysvIpcState.SharedSegment> stored = draft.segments().stream()
                    .map(s -> s.withContent(put.apply(segmentBytes.get(s.id())))).toList();
            return new SysvIpcState(stored, draft.semaphoreSets(), draft.queues());
        }
    }

    private SysvIpcCapture() {
    }

    /**
     * Refuses a process of another IPC namespace: /proc/sysvipc and every IPC call of the agent
     * see the agent's namespace, so its objects could neither be found nor read.
     */
    public static void checkNamespace(int pid) {
        String own = namespace("self");
        String its = namespace(Integer.toString(pid));
        if (own != null && its != null && !own.equals(its)) {
            throw new CaptureException("pid " + pid + " runs in another IPC namespace (" + its + "; this agent is in "
                    + own + "): its SysV IPC objects cannot be seen from here, so Cryostash cannot tell which it"
                    + " uses; checkpointing processes of other IPC namespaces is not supported yet");
        }
    }

    private static String namespace(String pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/ipc")).toString();
        } catch (IOException | UnsupportedOperationException gone) {
            return null; // an exited process is reported as such by the capture itself
        }
    }

    /** Reads the objects the frozen process uses; called inside the freeze. */
    public static Captured capture(int pid, List<MapsEntry> maps, SysvSelection extra) {
        Set<Integer> tids = new HashSet<>(ProcFiles.tasks(pid));
        tids.add(pid);
        long born = startedAt(pid);
        Map<Integer, List<Long>> attached = attachments(maps);
        Map<Integer, byte[]> bytes = new LinkedHashMap<>();
        List<SysvIpcState.SharedSegment> segments = new ArrayList<>();
        Set<Integer> seenSegments = new TreeSet<>();
        for (SysvIpcTable.Segment s : SysvIpcTable.segments()) {
            boolean used = attached.containsKey(s.id())
                    || (tids.contains(s.creatorPid()) && s.changeTime() >= born)
                    || (tids.contains(s.lastPid()) && Math.max(s.attachTime(), s.detachTime()) >= born)
                    || extra.segmentIds().contains(s.id()) || (s.key() != 0 && extra.keys().contains(s.key()));
            if (!used) {
                continue;
            }
            seenSegments.add(s.id());
            if (s.size() > ImageCodec.MAX_SYSV_SEGMENT) {
                throw new CaptureException("pid " + pid + " uses SysV shared memory segment " + describe(s.key(), s.id())
                        + " of " + s.size() + " bytes, more than the " + ImageCodec.MAX_SYSV_SEGMENT
                        + " Cryostash reads during a freeze");
            }
            bytes.put(s.id(), SysvIpc.readSegment(s.id(), s.size()));
            segments.add(new SysvIpcState.SharedSegment(s.key(), s.id(), s.mode() & 0777, s.uid(), s.gid(), s.size(),
                    (s.mode() & SysvIpcTable.SHM_DEST) != 0, attached.getOrDefault(s.id(), List.of()), null));
        }
        for (int id : attached.keySet()) {
            if (!seenSegments.contains(id)) { // removed and gone between the maps read and now: cannot be
                throw new CaptureException("pid " + pid + " has SysV shared memory segment " + id + " attached, but"
                        + " /proc/sysvipc/shm does not list it");
            }
        }
        List<SysvIpcState.SemaphoreSet> sets = new ArrayList<>();
        Set<Integer> seenSets = new HashSet<>();
        for (SysvIpcTable.SemaphoreSet s : SysvIpcTable.semaphoreSets()) {
            boolean named = extra.semaphoreIds().contains(s.id()) || (s.key() != 0 && extra.keys().contains(s.key()));
            boolean used = named;
            if (!used && Math.max(s.operationTime(), s.changeTime()) >= born) {
                for (int last : SysvIpc.lastPids(s.id(), s.count())) {
                    used |= tids.contains(last);
                }
            }
            if (used) {
                seenSets.add(s.id());
                List<Integer> values = new ArrayList<>();
                for (int v : SysvIpc.values(s.id(), s.count())) {
                    values.add(v);
                }
                sets.add(new SysvIpcState.SemaphoreSet(s.key(), s.id(), s.mode() & 0777, s.uid(), s.gid(), values));
            }
        }
        List<SysvIpcState.MessageQueue> queues = new ArrayList<>();
        Set<Integer> seenQueues = new HashSet<>();
        long queuedBytes = 0;
        for (SysvIpcTable.Queue q : SysvIpcTable.queues()) {
            boolean used = ((tids.contains(q.lastSender()) || tids.contains(q.lastReceiver()))
                    && Math.max(Math.max(q.sendTime(), q.receiveTime()), q.changeTime()) >= born)
                    || extra.queueIds().contains(q.id()) || (q.key() != 0 && extra.keys().contains(q.key()));
            if (!used) {
                continue;
            }
            seenQueues.add(q.id());
            List<SysvIpcState.QueuedMessage> messages = new ArrayList<>();
            int room = (int) Math.max(1, Math.min(q.bytes(), ImageCodec.MAX_SYSV_MESSAGE_BYTES));
            for (int i = 0; i < MAX_MESSAGES; i++) {
                SysvIpc.Message m = copyMessage(pid, q, i, room);
                if (m == null) {
                    break;
                }
                queuedBytes += m.text().length + 8;
                if (queuedBytes > ImageCodec.MAX_SYSV_MESSAGE_BYTES) {
                    throw new CaptureException("pid " + pid + " uses SysV message queues holding more than "
                            + ImageCodec.MAX_SYSV_MESSAGE_BYTES + " bytes of messages, more than an image keeps");
                }
                messages.add(new SysvIpcState.QueuedMessage(m.type(), m.text()));
            }
            queues.add(new SysvIpcState.MessageQueue(q.key(), q.id(), q.mode() & 0777, q.uid(), q.gid(),
                    queueBytes(q.id()), messages));
        }
        requireNamedFound(extra, seenSegments, seenSets, seenQueues);
        return new Captured(new SysvIpcState(segments, sets, queues), bytes);
    }

    private static SysvIpc.Message copyMessage(int pid, SysvIpcTable.Queue q, int index, int room) {
        try {
            return SysvIpc.copyMessage(q.id(), index, room);
        } catch (SysvIpc.IpcException e) {
            if (e.errno() == 38) { // ENOSYS: a kernel without CONFIG_CHECKPOINT_RESTORE has no MSG_COPY
                if (q.messages() == 0) {
                    return null;
                }
                throw new CaptureException("pid " + pid + " uses SysV message queue " + describe(q.key(), q.id())
                        + " holding " + q.messages() + " message(s), which this kernel cannot copy without taking"
                        + " them (msgrcv MSG_COPY needs CONFIG_CHECKPOINT_RESTORE); try again once they are read");
            }
            throw new CaptureException("cannot copy the messages of SysV message queue " + describe(q.key(), q.id())
                    + " of pid " + pid + ": " + e.getMessage(), e);
        }
    }

    /** msg_qbytes is not in /proc/sysvipc/msg: IPC_STAT it. */
    private static long queueBytes(int id) {
        return SysvIpc.queueLimit(id);
    }

    private static void requireNamedFound(SysvSelection extra, Set<Integer> segments, Set<Integer> sets,
                                          Set<Integer> queues) {
        List<String> missing = new ArrayList<>();
        extra.segmentIds().stream().filter(id -> !segments.contains(id)).forEach(id -> missing.add("shm:" + id));
        extra.semaphoreIds().stream().filter(id -> !sets.contains(id)).forEach(id -> missing.add("sem:" + id));
        extra.queueIds().stream().filter(id -> !queues.contains(id)).forEach(id -> missing.add("msg:" + id));
        if (!extra.keys().isEmpty()) {
            Set<Integer> present = new HashSet<>();
            SysvIpcTable.segments().forEach(s -> present.add(s.key()));
            SysvIpcTable.semaphoreSets().forEach(s -> present.add(s.key()));
            SysvIpcTable.queues().forEach(q -> present.add(q.key()));
            extra.keys().stream().filter(k -> !present.contains(k) || k == 0)
                    .forEach(k -> missing.add("key 0x" + Integer.toHexString(k)));
        }
        if (!missing.isEmpty()) {
            throw new CaptureException("no SysV IPC object " + String.join(", ", missing) + " exists in this IPC"
                    + " namespace (see ipcs); the process was resumed and no image was written");
        }
    }

    /** Attached segments by id: the start of each attachment (its first area's start less its offset). */
    static Map<Integer, List<Long>> attachments(List<MapsEntry> maps) {
        Map<Integer, List<Long>> out = new LinkedHashMap<>();
        for (MapsEntry e : maps) {
            if (e.path() != null && e.path().startsWith("/SYSV")) {
                List<Long> starts = out.computeIfAbsent((int) e.inode(), id -> new ArrayList<>());
                long base = e.start() - e.offset();
                if (!starts.contains(base)) {
                    starts.add(base);
                }
            }
        }
        return out;
    }

    static String describe(int key, int id) {
        return "id " + id + (key == 0 ? " (private)" : " (key 0x" + Integer.toHexString(key) + ")");
    }

    /**
     * When the process started, in seconds since the epoch (boot time plus its start in clock
     * ticks), less two seconds: btime is rounded and object times are whole seconds.
     */
    private static long startedAt(int pid) {
        long ticks = ProcStat.read(pid).startTime();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("btime ")) {
                    return Long.parseLong(line.substring(6).trim()) + ticks / CLOCK_TICKS - 2;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: without it, any trace counts
        }
        return 0;
    }
}
