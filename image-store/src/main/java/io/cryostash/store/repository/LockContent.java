// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.repository;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a lock object says, in UTF-8 lines; the one place that writes and reads it.
 *
 * <pre>
 * build-7 pid 4242 since 2026-12-06T11:24:32Z     who, for people and messages
 * machine 5f0c…                                   /etc/machine-id (the value may be empty)
 * boot 0b9e…                                      /proc/sys/kernel/random/boot_id
 * pidns pid:[4026531836]                          the holder's pid namespace
 * start 981234                                    its start time, clock ticks after boot
 * acks 0001733…-ab12cd34 0001733…-77aa0e01        capture leases only: condemnation records seen
 * </pre>
 *
 * The first line and {@code acks} are what locks held before owners were recorded carry too;
 * such a lock (no {@code boot}/{@code start} lines) has no {@link #owner} and is judged by its
 * age alone. Unknown lines are ignored, so that a later version can add some.
 *
 * @param holder who holds it, for messages ("host build-7 pid 4242 since …"), whatever the format
 * @param owner  the holder as {@link LockOwner#provablyDead} can judge it, or null when the lock
 *               does not name enough (older format, damaged)
 * @param acks   for a capture lease, the condemnation records its capture had seen
 */
record LockContent(String holder, LockOwner owner, Set<String> acks) {
    private static final Pattern FIRST = Pattern.compile("(.*) pid (\\d+) since (\\S+)");

    LockContent {
        acks = Set.copyOf(acks);
    }

    /** The content of a lock this process takes. */
    static LockContent of(LockOwner owner, Set<String> acks) {
        return new LockContent(describe(owner.host(), owner.pid(), owner.since().toString()), owner, acks);
    }

    LockContent withAcks(Set<String> recordIds) {
        return new LockContent(holder, owner, recordIds);
    }

    byte[] encode() {
        if (owner == null) {
            throw new IllegalStateException("only a lock with its owner is written");
        }
        StringBuilder b = new StringBuilder()
                .append(owner.host()).append(" pid ").append(owner.pid()).append(" since ").append(owner.since()).append('\n')
                .append("machine ").append(owner.machine()).append('\n')
                .append("boot ").append(owner.boot()).append('\n')
                .append("pidns ").append(owner.pidNamespace()).append('\n')
                .append("start ").append(owner.startTicks()).append('\n');
        if (!acks.isEmpty()) {
            // sorted: ids sort by time, and a lease rewritten with the same records is byte for byte the same
            b.append("acks ").append(String.join(" ", acks.stream().sorted().toList())).append('\n');
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Reads any lock's content; never fails (what it cannot read leaves the owner unknown). */
    static LockContent parse(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        String[] lines = text.split("\n");
        String first = lines.length == 0 ? "" : lines[0].trim();
        Map<String, String> kv = new HashMap<>();
        for (int i = 1; i < lines.length; i++) {
            String l = lines[i];
            int sp = l.indexOf(' ');
            kv.putIfAbsent(sp < 0 ? l.trim() : l.substring(0, sp), sp < 0 ? "" : l.substring(sp + 1).trim());
        }
        Set<String> acks = new LinkedHashSet<>();
        if (kv.containsKey("acks")) {
            acks.addAll(Arrays.asList(kv.get("acks").split(" +")));
            acks.remove("");
        }
        Matcher m = FIRST.matcher(first);
        if (!m.matches()) {
            return new LockContent(first.isEmpty() ? "unknown holder" : first, null, acks);
        }
        String holder = describe(m.group(1), Long.parseLong(m.group(2)), m.group(3));
        LockOwner owner = null;
        try {
            if (kv.containsKey("boot") && kv.containsKey("start")) {
                owner = new LockOwner(m.group(1), kv.getOrDefault("machine", ""), kv.get("boot"),
                        kv.getOrDefault("pidns", ""), Long.parseLong(m.group(2)), Long.parseLong(kv.get("start")),
                        Instant.parse(m.group(3)));
            }
        } catch (RuntimeException malformed) {
            owner = null;
        }
        return new LockContent(holder, owner, acks);
    }

    /** Whether this process (host {@code readerHost}) can prove the holder is gone ({@link LockOwner#provablyDead}). */
    boolean holderProvablyDead(String readerHost) {
        return owner != null && owner.provablyDead(readerHost);
    }

    private static String describe(String host, long pid, String since) {
        return "host " + host + " pid " + pid + " since " + since;
    }
}
