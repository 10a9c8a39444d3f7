// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.sysvipc;

import java.util.Set;

/**
 * SysV objects the user names for the image beyond those capture finds on its own (an object
 * the program knows by key or id but has not touched yet leaves no trace of the process).
 *
 * @param keys       objects of any kind with these keys
 * @param segmentIds shared memory segments by id
 * @param semaphoreIds semaphore sets by id
 * @param queueIds   message queues by id
 */
public record SysvSelection(Set<Integer> keys, Set<Integer> segmentIds, Set<Integer> semaphoreIds,
                            Set<Integer> queueIds) {
    public static final SysvSelection NONE = new SysvSelection(Set.of(), Set.of(), Set.of(), Set.of());

    public SysvSelection {
        keys = keys == null ? Set.of() : Set.copyOf(keys);
        segmentIds = segmentIds == null ? Set.of() : Set.copyOf(segmentIds);
        semaphoreIds = semaphoreIds == null ? Set.of() : Set.copyOf(semaphoreIds);
        queueIds = queueIds == null ? Set.of() : Set.copyOf(queueIds);
    }

    /**
     * Parses {@code --sysv-id} values: {@code shm:ID}, {@code sem:ID} or {@code msg:ID}, and
     * {@code --sysv-key} values (decimal, or hex with 0x).
     */
    public static SysvSelection parse(java.util.List<String> keyArgs, java.util.List<String> idArgs) {
        java.util.Set<Integer> keys = new java.util.HashSet<>();
        java.util.Set<Integer> shm = new java.util.HashSet<>();
        java.util.Set<Integer> sem = new java.util.HashSet<>();
        java.util.Set<Integer> msg = new java.util.HashSet<>();
        for (String k : keyArgs == null ? java.util.List.<String>of() : keyArgs) {
            keys.add((int) parseNumber(k.trim(), "SysV key"));
        }
        for (String a : idArgs == null ? java.util.List.<String>of() : idArgs) {
            String[] kindId = a.trim().split(":", 2);
            if (kindId.length != 2) {
                throw new IllegalArgumentException("a SysV id is given as shm:ID, sem:ID or msg:ID, not '" + a + "'");
            }
            int id = (int) parseNumber(kindId[1], "SysV id");
            switch (kindId[0]) {
                case "shm" -> shm.add(id);
                case "sem" -> sem.add(id);
                case "msg" -> msg.add(id);
                default -> throw new IllegalArgumentException("unknown SysV kind '" + kindId[0]
                        + "' in '" + a + "': use shm, sem or msg");
            }
        }
        return new SysvSelection(keys, shm, sem, msg);
    }

    private static long parseNumber(String s, String what) {
        try {
            long v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseLong(s.substring(2), 16) : Long.parseLong(s);
            if (v < Integer.MIN_VALUE || v > 0xffffffffL || (what.endsWith("id") && v < 0)) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a " + what + " (decimal, or hex with 0x)");
        }
    }
}
