// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.SyscallBatch;
import io.cryostash.schema.image.FdEntry;

/**
 * The plan of {@link DescriptorBatch} against a model of the kernel's descriptor table (lowest
 * free number for a new descriptor, lowest free from the argument for F_DUPFD, dup3 replacing its
 * target): every predicted result is what the table gives, and at the end each entry's number
 * holds its own object with its close-on-exec flag, nothing else of the table clobbered. Layouts
 * the round-trip fixtures cannot force whatever the husk holds: swapped pipe ends on the numbers
 * a new pipe gets (its ends must be parked), gaps, lone ends, random tables.
 */
class DescriptorBatchPlanTest {
    private static final int PARK = 1000;

    /** A model table: number to (object, end), plus close-on-exec. */
    private static final class Table {
        final Map<Integer, String> held = new HashMap<>();
        final BitSet cloexec = new BitSet();
        int objects;

        int lowest(int from) {
            int fd = from;
            while (held.containsKey(fd)) {
                fd++;
            }
            return fd;
        }

        BitSet used() {
            BitSet b = new BitSet();
            held.keySet().forEach(b::set);
            return b;
        }

        /** Runs a call as the kernel would; returns {result, slot}. */
        long[] run(SyscallBatch.Call c) {
            long[] a = c.args();
            switch (c.nr()) {
                case SyscallNumbers.PIPE2 -> {
                    int o = objects++;
                    int r = lowest(0);
                    held.put(r, o + "r");
                    int w = lowest(0);
                    held.put(w, o + "w");
                    return new long[] {0, (r & 0xffffffffL) | ((long) w << 32)};
                }
                case SyscallNumbers.SOCKET, SyscallNumbers.EVENTFD2 -> {
                    int fd = lowest(0);
                    held.put(fd, (objects++) + "");
                    return new long[] {fd, -1};
                }
                case SyscallNumbers.DUP3 -> {
                    String what = held.get((int) a[0]);
                    assertThat(what).as("dup3 of a closed descriptor %d", a[0]).isNotNull();
                    held.put((int) a[1], what);
                    cloexec.set((int) a[1], a[2] != 0);
                    return new long[] {a[1], -1};
                }
                case SyscallNumbers.CLOSE -> {
                    assertThat(held.remove((int) a[0])).as("close of a closed descriptor %d", a[0]).isNotNull();
                    cloexec.clear((int) a[0]);
                    return new long[] {0, -1};
                }
                case SyscallNumbers.FCNTL -> {
                    if (a[1] == DescriptorBatch.F_DUPFD) {
                        int fd = lowest((int) a[2]);
                        held.put(fd, held.get((int) a[0]));
                        return new long[] {fd, -1};
                    }
                    cloexec.set((int) a[0]); // F_SETFD FD_CLOEXEC
                    return new long[] {0, -1};
                }
                default -> throw new AssertionError("unexpected call " + c.nr());
            }
        }
    }

    private static FdEntry entry(int fd, boolean cloexec) {
        return FdEntry.withoutRecord(fd, FdEntry.Kind.PIPE, "pipe:[" + fd + "]", cloexec ? DescriptorBatch.O_CLOEXEC : 0, 0);
    }

    /** Plans, runs on the model, checks every prediction; returns the table. */
    private static Table runOn(Table t, DescriptorBatch batch) {
        List<DescriptorBatch.Step> steps = batch.plan(t.used(), PARK);
        for (DescriptorBatch.Step s : steps) {
            long[] r = t.run(s.call());
            assertThat(r[0]).as("result of %s", s.what()).isEqualTo(s.expect());
            if (s.expectSlot() != -1) {
                assertThat(r[1]).as("descriptors of %s", s.what()).isEqualTo(s.expectSlot());
            }
        }
        return t;
    }

    @Test
    void swappedPipeEndsOnTheNumbersANewPipeGetsAreParkedNotClobbered() {
        Table t = new Table();
        t.held.put(0, "in");
        t.held.put(1, "out");
        t.held.put(2, "err");
        DescriptorBatch b = new DescriptorBatch(null);
        // pipe2 hands out 3 (read) and 4 (write); the image wants the read end at 4, the write end at 3
        b.createPair(entry(4, true), entry(3, false), "pipe2", SyscallNumbers.PIPE2, SyscallBatch.OWN_SLOT, 0);
        runOn(t, b);

        assertThat(t.held).containsEntry(4, "0r").containsEntry(3, "0w").containsEntry(0, "in").containsEntry(1, "out")
                .containsEntry(2, "err").hasSize(5);
        assertThat(t.cloexec.get(4)).isTrue();
        assertThat(t.cloexec.get(3)).isFalse();
    }

    @Test
    void randomLayoutsEndWithEveryEntryOnItsNumberAndNothingElseTouched() {
        Random random = new Random(13);
        for (int round = 0; round < 500; round++) {
            Table t = new Table();
            BitSet taken = new BitSet();
            for (int i = 0; i < 6; i++) { // what the husk holds already
                int fd = random.nextInt(12);
                t.held.put(fd, "husk" + fd);
                taken.set(fd);
            }
            Map<Integer, String> before = new HashMap<>(t.held);
            DescriptorBatch b = new DescriptorBatch(null);
            List<Map<Integer, String>> creations = new java.util.ArrayList<>(); // per creation: number -> end
            BitSet cloexec = new BitSet();
            for (int i = 0; i < 8; i++) {
                int first = free(random, taken);
                boolean c1 = random.nextBoolean();
                cloexec.set(first, c1);
                Map<Integer, String> ends = new HashMap<>();
                if (random.nextBoolean()) {
                    b.create(entry(first, c1), "socket", SyscallNumbers.SOCKET, 2, 1, 0);
                    ends.put(first, "");
                } else {
                    int second = free(random, taken);
                    boolean c2 = random.nextBoolean();
                    cloexec.set(second, c2);
                    int lone = random.nextInt(4); // 0: the read end alone, 1: the write end alone
                    b.createPair(lone == 1 ? null : entry(first, c1), lone == 0 ? null : entry(second, c2), "pipe2",
                            SyscallNumbers.PIPE2, SyscallBatch.OWN_SLOT, 0);
                    if (lone != 1) {
                        ends.put(first, "r");
                    }
                    if (lone != 0) {
                        ends.put(second, "w");
                    }
                }
                creations.add(ends);
            }
            // the model numbers objects in the order they are made: creations run by their lowest number
            creations.sort(java.util.Comparator.comparingInt(c -> java.util.Collections.min(c.keySet())));
            Map<Integer, String> want = new HashMap<>();
            for (int k = 0; k < creations.size(); k++) {
                int object = k;
                creations.get(k).forEach((fd, end) -> want.put(fd, object + end));
            }
            runOn(t, b);
            // objects are numbered by creation order in the model: the plan runs creations by number
            Map<Integer, String> got = new HashMap<>(t.held);
            before.forEach((fd, what) -> assertThat(got.remove(fd)).as("the husk's descriptor %d", fd).isEqualTo(what));
            assertThat(got).as("round %d", round).isEqualTo(want);
            for (int fd : want.keySet()) {
                assertThat(t.cloexec.get(fd)).as("close-on-exec of %d", fd).isEqualTo(cloexec.get(fd));
            }
        }
    }

    private static int free(Random random, BitSet taken) {
        int fd;
        do {
            fd = 3 + random.nextInt(40);
        } while (taken.get(fd));
        taken.set(fd);
        return fd;
    }
}
