// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.Ptrace;
import io.cryostash.agent.linux.TraceeException;
import io.cryostash.agent.linux.Tracer;
import io.cryostash.restore.files.DescriptorRestore;
import io.cryostash.restore.files.FileResolver;
import io.cryostash.restore.files.FileRestore;
import io.cryostash.restore.files.TreeFds;
import io.cryostash.restore.sysvipc.SysvIpcPlan;
import io.cryostash.restore.process.PidCheck;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.TreeMember;
import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.image.PageSource;

/**
 * Restores a process tree (docs/architecture.md, "Process trees"): first the husks, each
 * forked by its parent's husk with its own pid (the root's husk made as for a single process),
 * sessions and process groups set while they are still husks; then each process built in its
 * husk as a single one is, the root first and parents before children, taking from earlier ones
 * what it shared with them; once all are built every one is let go, and zombies end with their
 * exit status, for their parents to reap. Any failure kills every husk.
 */
final class TreeRestore {
    private TreeRestore() {
    }

    /** One process of the tree as restore will build it. */
    private record Plan(int pid, TreeMember member, ProcessImage image, Map<String, String> paths, Path log) {
    }

    static RestoreResult restore(ImageStore store, ProcessImage loaded, RestoreOptions options,
                                 DescriptorRestore descriptors, long t0) {
        if (options.pids() == RestoreOptions.PidMode.NEW_PID) {
            throw new RestoreException("image " + loaded.id() + " is a tree of " + (loaded.tree().members().size() + 1)
                    + " processes, which need their own pids again (parents wait for their children by pid): restore"
                    + " it with its own pids or with --new-pid-namespace, not --new-pid");
        }
        int rootPid = loaded.process().pid();
        List<Plan> plans = new ArrayList<>();
        plans.add(plan(store, loaded, rootPid, null, loaded, options, descriptors));
        for (TreeMember m : loaded.tree().members()) {
            plans.add(m.zombie() ? new Plan(m.pid(), m, null, Map.of(), null)
                    : plan(store, loaded, m.pid(), m, m.image(), options, descriptors));
        }
        TreeIds.check(loaded);
        for (Plan p : plans) {
            if (p.image() != null) {
                PidCheck.requireWithinPidMax(p.image());
            }
        }
        if (options.pids() == RestoreOptions.PidMode.ORIGINAL) {
            PidCheck.requireFreeTree(loaded); // zombies' pids too: their husks are made with them
        }
        Map<Integer, Husk> husks = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        try (Tracer tracer = new Tracer("restore-" + loaded.id()); PageSource pages = store.pages()) {
            tracer.call(p -> {
                try {
                    build(p, loaded, plans, husks, pages, descriptors, store, options, notes);
                } catch (RuntimeException e) {
                    // while they are still ours: once the tracer helper exits, their pids may be reused
                    husks.values().forEach(Husk::kill);
                    throw e;
                }
                return null;
            });
        } catch (RuntimeException e) {
            String killed = "";
            if (!husks.isEmpty()) {
                List<Integer> pids = new ArrayList<>();
                husks.values().forEach(h -> pids.add(h.pid)); // killed on the tracer thread
                killed = " (the half-built processes " + pids + " were killed)";
            }
            if (e instanceof RestoreException re) {
                throw killed.isEmpty() ? re : new RestoreException(re.getMessage() + killed, re);
            }
            if (e instanceof ImageIntegrityException ie) {
                throw new RestoreException("image " + loaded.id() + " failed verification, nothing was restored"
                        + killed + ": " + ie.getMessage(), ie);
            }
            throw new RestoreException("restore of image " + loaded.id() + " failed: " + e.getMessage() + killed, e);
        }
        Husk root = husks.get(rootPid);
        return new RestoreResult(root.pid, plans.get(0).log(), System.nanoTime() - t0, root.ownPid, notes, RestorePhases.NONE);
    }

    private static Plan plan(ImageStore store, ProcessImage tree, int pid, TreeMember member, ProcessImage loaded,
                             RestoreOptions options, DescriptorRestore descriptors) {
        Map<String, String> paths = FileResolver.resolve(store.repository().files(), loaded, options.allowChangedFiles());
        String name = tree.id() + "-" + pid;
        ProcessImage image = options.tty() != null ? loaded
                : loaded.withFds(DescriptorRestore.withoutTerminal(name, loaded.fds()));
        descriptors.check(name, image.fds());
        SysvIpcPlan.of(image); // refuses early what this host rules out; planned again when built (members may share)
        Path log = FileRestore.prepareLog(image.fds(), options.logDir(), name, image.credentials());
        return new Plan(pid, member, image, paths, log);
    }

    private static void build(Ptrace ptrace, ProcessImage tree, List<Plan> plans, Map<Integer, Husk> husks,
                              PageSource pages, DescriptorRestore descriptors, ImageStore store, RestoreOptions options,
                              List<String> notes) {
        int rootPid = tree.process().pid();
        husks.put(rootPid, Restorer.spawnHusk(ptrace, tree, options.pids(), rootPid));
        for (TreeMember m : tree.tree().members()) {
            try {
                Husk child = husks.get(m.ppid()).fork(ptrace, m.pid());
                husks.put(m.pid(), child);
                if (m.sid() == m.pid()) {
                    child.setsid(ptrace);
                }
            } catch (TraceeException e) {
                if (Husk.pidInUse(e)) {
                    throw PidCheck.inUseInTree(tree, m.pid(), e);
                }
                throw e;
            }
        }
        // leaders first, so that every group a process joins exists
        Map<Integer, Integer> groups = TreeIds.groups(tree);
        groups.forEach((pid, pgid) -> {
            if (pid.equals(pgid) && pid != rootPid && !TreeIds.leadsSession(tree, pid)) {
                husks.get(pid).setpgid(ptrace, 0);
            }
        });
        groups.forEach((pid, pgid) -> {
            if (!pid.equals(pgid)) {
                husks.get(pid).setpgid(ptrace, pgid);
            }
        });

        TreeFds fds = new TreeFds(tree);
        Map<Integer, Restorer.Built> built = new LinkedHashMap<>();
        for (Plan p : plans) {
            if (p.image() == null) {
                continue;
            }
            ProcessImage image = p.member() == null ? p.image() : withSharedAreas(p.image(), p.member(), plans, husks);
            fds.building(p.pid(), p.member() == null ? List.of() : p.member().sharedFds());
            // planned only now: an object an earlier process of the tree recreated is kept, not made twice
            SysvIpcPlan sysv = SysvIpcPlan.of(image);
            notes.addAll(sysv.notes());
            built.put(p.pid(), Restorer.build(ptrace, husks.get(p.pid()), image, pages, p.paths(), p.log(), descriptors,
                    store, options, sysv, fds, null, new RestoreClock(System.nanoTime())));
        }
        fds.parkedIn().forEach((pid, parked) -> {
            for (int fd : parked) {
                built.get(pid).remote().call("close a pipe end kept for the tree", io.cryostash.agent.linux.SyscallNumbers.CLOSE, fd);
            }
        });
        // children first: a parent that runs and waits finds them all there
        List<Restorer.Built> order = new ArrayList<>(built.values());
        for (int i = order.size() - 1; i >= 0; i--) {
            Restorer.finish(ptrace, order.get(i), null);
        }
        for (Plan p : plans) {
            if (p.member() != null && p.member().zombie()) {
                husks.get(p.pid()).exitAs(ptrace, p.member().exitStatus());
            }
        }
        husks.get(rootPid).releaseInit(ptrace);
    }

    /**
     * Areas that are the memory of an earlier process's shared area are mapped from it: its
     * /proc/PID/map_files entry (this agent's view of its pid) opened in the process being built.
     */
    private static ProcessImage withSharedAreas(ProcessImage image, TreeMember m, List<Plan> plans,
                                                Map<Integer, Husk> husks) {
        if (m.sharedAreas().isEmpty()) {
            return image;
        }
        Map<Long, TreeMember.SharedArea> shared = new HashMap<>();
        m.sharedAreas().forEach(s -> shared.put(s.start(), s));
        List<MemoryArea> areas = new ArrayList<>();
        for (MemoryArea a : image.areas()) {
            TreeMember.SharedArea s = shared.get(a.start());
            if (s == null) {
                areas.add(a);
                continue;
            }
            ProcessImage from = plans.stream().filter(p -> p.pid() == s.fromPid()).findFirst().orElseThrow().image();
            MemoryArea o = from.areas().stream().filter(x -> x.start() == s.fromStart()).findFirst().orElseThrow();
            String path = "/proc/" + husks.get(s.fromPid()).pid + "/map_files/" + Long.toHexString(o.start()) + "-"
                    + Long.toHexString(o.end());
            areas.add(new MemoryArea(a.start(), a.end(), a.perms(), a.fileOffset() - o.fileOffset(), path,
                    MemoryArea.Kind.FILE_SHARED, null, a.settings()));
        }
        return image.withAreas(areas);
    }
}
