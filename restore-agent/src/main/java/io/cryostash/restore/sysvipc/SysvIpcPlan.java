// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.sysvipc;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

import io.cryostash.agent.proc.SysvIpcTable;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SysvIpcState;

/**
 * Which of the image's SysV objects are still alive on this host (same kind, id and key, and
 * the same size or count: the process shares them with others, so the live one is kept and not
 * overwritten) and which must be made again; decided before a husk exists, so an id or key held
 * by another object refuses the restore before anything is built.
 *
 * @param keptSegments  ids of live segments the process is given again as they are now
 * @param keptSets      ids of live semaphore sets kept
 * @param keptQueues    ids of live queues kept
 * @param notes         one line per kept object, for the restore's output
 */
public record SysvIpcPlan(Set<Integer> keptSegments, Set<Integer> keptSets, Set<Integer> keptQueues,
                          List<String> notes) {
    public static final SysvIpcPlan NOTHING = new SysvIpcPlan(Set.of(), Set.of(), Set.of(), List.of());

    public SysvIpcPlan {
        keptSegments = Set.copyOf(keptSegments);
        keptSets = Set.copyOf(keptSets);
        keptQueues = Set.copyOf(keptQueues);
        notes = List.copyOf(notes);
    }

    /** Reads this host's objects and decides; refuses naming every conflict. */
    public static SysvIpcPlan of(ProcessImage image) {
        SysvIpcState ipc = image.sysvIpc();
        if (ipc.isEmpty()) {
            return NOTHING;
        }
        List<String> conflicts = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        Set<Integer> segments = decide("shared memory segment", "-m", ipc.segments(),
                SysvIpcTable.segments(), SysvIpcState.SharedSegment::id, SysvIpcState.SharedSegment::key,
                SysvIpcTable.Segment::id, SysvIpcTable.Segment::key,
                (s, live) -> s.size() == live.size(), s -> s.size() + " bytes", conflicts, notes,
                "its contents are the live ones, not the image's");
        Set<Integer> sets = decide("semaphore set", "-s", ipc.semaphoreSets(),
                SysvIpcTable.semaphoreSets(), SysvIpcState.SemaphoreSet::id, SysvIpcState.SemaphoreSet::key,
                SysvIpcTable.SemaphoreSet::id, SysvIpcTable.SemaphoreSet::key,
                (s, live) -> s.values().size() == live.count(), s -> s.values().size() + " semaphores", conflicts,
                notes, "its values are the live ones, not the image's");
        Set<Integer> queues = decide("message queue", "-q", ipc.queues(),
                SysvIpcTable.queues(), SysvIpcState.MessageQueue::id, SysvIpcState.MessageQueue::key,
                SysvIpcTable.Queue::id, SysvIpcTable.Queue::key, (s, live) -> true,
                q -> q.messages().size() + " messages", conflicts, notes,
                "its messages are the live ones; the image's are not queued again");
        if (!conflicts.isEmpty()) {
            throw new RestoreException("image " + image.id() + " cannot get its SysV IPC objects back on this host:\n  "
                    + String.join("\n  ", conflicts));
        }
        return new SysvIpcPlan(segments, sets, queues, notes);
    }

    private interface Same<S, L> {
        boolean test(S saved, L live);
    }

    private static <S, L> Set<Integer> decide(String what, String ipcrm, List<S> saved, List<L> live,
                                              Function<S, Integer> id, Function<S, Integer> key,
                                              Function<L, Integer> liveId, Function<L, Integer> liveKey,
                                              Same<S, L> sameShape, Function<S, String> shape,
                                              List<String> conflicts, List<String> notes, String keptMeans) {
        Set<Integer> kept = new HashSet<>();
        for (S s : saved) {
            L byId = live.stream().filter(l -> liveId.apply(l).equals(id.apply(s))).findFirst().orElse(null);
            String name = what + " " + describe(key.apply(s), id.apply(s));
            if (byId != null) {
                if (liveKey.apply(byId).equals(key.apply(s)) && sameShape.test(s, byId)) {
                    kept.add(id.apply(s));
                    notes.add("SysV " + name + " still exists on this host: the restored process uses the live one"
                            + " (" + keptMeans + ")");
                } else {
                    conflicts.add("SysV " + what + " id " + id.apply(s) + " is another object on this host ("
                            + describe(liveKey.apply(byId), liveId.apply(byId)) + ") than the image's " + name
                            + " (" + shape.apply(s) + "); remove it (ipcrm " + ipcrm + " " + id.apply(s)
                            + ") if it is not needed");
                }
                continue;
            }
            int k = key.apply(s);
            L byKey = k == 0 ? null : live.stream().filter(l -> liveKey.apply(l) == k).findFirst().orElse(null);
            if (byKey != null) {
                conflicts.add("SysV key 0x" + Integer.toHexString(k) + " is held on this host by " + what + " id "
                        + liveId.apply(byKey) + ", not by the image's id " + id.apply(s) + "; remove it (ipcrm "
                        + ipcrm.toUpperCase() + " 0x" + Integer.toHexString(k) + ") if it is not needed");
            }
        }
        return kept;
    }

    static String describe(int key, int id) {
        return "id " + id + (key == 0 ? " (private)" : " (key 0x" + Integer.toHexString(key) + ")");
    }
}
