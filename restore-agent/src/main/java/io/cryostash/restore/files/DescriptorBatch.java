// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;

import io.cryostash.agent.linux.SyscallNumbers;
import io.cryostash.agent.remote.SyscallBatch;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.FdEntry;

/**
 * Descriptors made in bulk: the calls that create them and put each at its number, planned here
 * and run inside the husk by one {@link SyscallBatch}. The plan predicts every number the kernel
 * hands out, which it can because the husk is stopped and its table known: a new descriptor gets
 * the lowest free number, and F_DUPFD the lowest free from its argument. Creations run in the
 * order of their numbers, so in the usual case (an image whose numbers have no gaps) a new
 * descriptor already sits where it belongs and costs one call. Otherwise it is moved with dup3
 * and the temporary closed, an end of a pair in the way of its sibling parked first. Every
 * result is checked against the prediction afterwards; a difference fails the restore (the husk
 * is then killed, never run), naming the descriptor.
 */
public final class DescriptorBatch {
    static final int F_DUPFD = 0;
    static final int F_SETFD = 2;
    static final int FD_CLOEXEC = 1;
    static final int O_CLOEXEC = 02000000;

    /** A call that makes one descriptor, or two ({@code pair}: written to the call's own slot). */
    private record Creation(FdEntry[] ends, String what, SyscallBatch.Call call, boolean pair) {
        int firstTarget() {
            int min = Integer.MAX_VALUE;
            for (FdEntry e : ends) {
                if (e != null) {
                    min = Math.min(min, e.fd());
                }
            }
            return min;
        }
    }

    /** A planned call, what it should return (and write, for a pair: -1 when nothing), and for whom. */
    record Step(SyscallBatch.Call call, long expect, long expectSlot, FdEntry entry, String what) {
    }

    private final FdRestoreContext ctx;
    private final List<Creation> creations = new ArrayList<>();
    private boolean ran;

    DescriptorBatch(FdRestoreContext ctx) {
        this.ctx = ctx;
    }

    /** A call that returns one new descriptor, for {@code e}. */
    public void create(FdEntry e, String what, int nr, long... args) {
        creations.add(new Creation(new FdEntry[] {e}, what, new SyscallBatch.Call(nr, args), false));
    }

    /**
     * A call that writes two new descriptors through a pointer (pipe2, socketpair): pass
     * {@link SyscallBatch#OWN_SLOT} for it. {@code first} and {@code second} are the entries of
     * the two (null for one the process no longer held: it is closed again).
     */
    public void createPair(FdEntry first, FdEntry second, String what, int nr, long... args) {
        creations.add(new Creation(new FdEntry[] {first, second}, what, new SyscallBatch.Call(nr, args), true));
    }

    public boolean isEmpty() {
        return creations.isEmpty();
    }

    /** Plans and runs every creation queued; afterwards each entry's descriptor is at its number. */
    public void run() {
        if (ran) {
            throw new IllegalStateException("a descriptor batch runs once");
        }
        ran = true;
        if (creations.isEmpty()) {
            return;
        }
        List<Step> steps = plan(openNow(), ctx.parkBase());
        List<SyscallBatch.Call> calls = new ArrayList<>(steps.size());
        for (Step s : steps) {
            calls.add(s.call());
        }
        SyscallBatch.Outcome out = ctx.syscallBatch().run(calls);
        for (int i = 0; i < steps.size(); i++) {
            Step s = steps.get(i);
            long r = out.results()[i];
            if (r == SyscallBatch.NOT_RUN) {
                break; // after the failure reported below
            }
            if (r < 0 && r > -4096) {
                ctx.check(s.entry(), s.what(), r);
            }
            if (r != s.expect() || (s.expectSlot() != -1 && out.slot(i) != s.expectSlot())) {
                throw new RestoreException("cannot restore descriptor " + s.entry().fd() + " (" + s.entry().target()
                        + "): " + s.what() + " gave " + (s.expectSlot() != -1 ? describePair(out.slot(i)) : r)
                        + " where " + (s.expectSlot() != -1 ? describePair(s.expectSlot()) : s.expect())
                        + " was planned (the process being built holds descriptors the restore did not expect)");
            }
        }
    }

    private static String describePair(long slot) {
        return "descriptors " + (int) slot + " and " + (int) (slot >>> 32);
    }

    /** The husk's descriptors now (it is stopped: nothing changes them but our calls). */
    private BitSet openNow() {
        BitSet used = new BitSet();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/" + ctx.pid() + "/fd"))) {
            for (Path p : ds) {
                used.set(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException e) {
            throw new RestoreException("cannot list the descriptors of the process being built (pid " + ctx.pid()
                    + "): " + e.getMessage(), e);
        }
        return used;
    }

    /** The calls, given the descriptors open now ({@code used}, updated as planned) and the lowest number to park at. */
    List<Step> plan(BitSet used, int parkBase) {
        List<Creation> ordered = new ArrayList<>(creations);
        ordered.sort(Comparator.comparingInt(Creation::firstTarget)); // numbers handed out in order land in place
        List<Step> steps = new ArrayList<>();
        for (Creation c : ordered) {
            int n = c.ends().length;
            int[] made = new int[n];
            FdEntry named = c.ends()[0] != null ? c.ends()[0] : c.ends()[1];
            for (int i = 0; i < n; i++) {
                made[i] = used.nextClearBit(0);
                used.set(made[i]);
            }
            if (c.pair()) {
                steps.add(new Step(c.call(), 0, (made[0] & 0xffffffffL) | ((long) made[1] << 32), named, c.what()));
            } else {
                steps.add(new Step(c.call(), made[0], -1, named, c.what()));
            }
            for (int i = 0; i < n; i++) {
                if (c.ends()[i] == null) { // an end nobody held any more
                    steps.add(close(made[i], named));
                    used.clear(made[i]);
                    made[i] = -1;
                }
            }
            for (int i = 0; i < n; i++) {
                FdEntry e = c.ends()[i];
                if (e == null) {
                    continue;
                }
                boolean cloexec = (e.flags() & O_CLOEXEC) != 0;
                if (made[i] == e.fd()) {
                    if (cloexec) { // new descriptors are made without it
                        steps.add(new Step(new SyscallBatch.Call(SyscallNumbers.FCNTL, e.fd(), F_SETFD, FD_CLOEXEC), 0,
                                -1, e, "fcntl(F_SETFD)"));
                    }
                    continue;
                }
                for (int j = 0; j < n; j++) { // its sibling sits on its number: parked out of the way first
                    if (j != i && made[j] == e.fd()) {
                        int parked = used.nextClearBit(parkBase);
                        steps.add(new Step(new SyscallBatch.Call(SyscallNumbers.FCNTL, made[j], F_DUPFD, parkBase),
                                parked, -1, c.ends()[j], "park descriptor " + made[j]));
                        used.set(parked);
                        steps.add(close(made[j], c.ends()[j]));
                        used.clear(made[j]);
                        made[j] = parked;
                    }
                }
                steps.add(new Step(new SyscallBatch.Call(SyscallNumbers.DUP3, made[i], e.fd(), cloexec ? O_CLOEXEC : 0),
                        e.fd(), -1, e, "dup3 to " + e.fd()));
                used.set(e.fd());
                steps.add(close(made[i], e));
                used.clear(made[i]);
                made[i] = e.fd();
            }
        }
        return steps;
    }

    private static Step close(int fd, FdEntry e) {
        return new Step(new SyscallBatch.Call(SyscallNumbers.CLOSE, fd), 0, -1, e, "close of descriptor " + fd);
    }
}
