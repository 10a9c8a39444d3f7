// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import io.cryostash.capture.files.DescriptorCapture;
import io.cryostash.capture.memory.CapturedArea;
import io.cryostash.capture.memory.MemoryCapture;
import io.cryostash.capture.spool.CaptureSpool;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;

/**
 * Stores the captures a dead capturer left in the spool (see {@link CaptureSpool}): their
 * processes were killed once the spool was written, so the spool is all that is left of them.
 * Run by the commands that open a store, before they do their own work; entries spooled for
 * another store are left for it.
 */
public final class SpoolReplay {
    private SpoolReplay() {
    }

    /** A spooled capture stored now. */
    public record Replayed(int pid, String comm, String imageId, Path from) {
    }

    /**
     * Stores every complete entry of {@code spoolDir} meant for {@code store} that no live
     * process holds, removes incomplete ones (their processes were never killed), and reports
     * each one stored. An entry whose process still runs (its capturer died between the spool
     * and the kill, and the process was let go) is removed too, since the process is its own
     * state; that is reported through {@code onError}. An entry that cannot be read or stored
     * stays for the next try; why is reported through {@code onError} and the others go on.
     */
    public static List<Replayed> replay(ImageStore store, Path spoolDir, java.util.function.Consumer<String> onError) {
        List<Replayed> done = new ArrayList<>();
        if (!Files.isDirectory(spoolDir)) {
            return done;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(spoolDir)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            onError.accept("cannot read the capture spool " + spoolDir + ": " + e.getMessage());
            return done;
        }
        for (Path dir : dirs) {
            if (dir.getFileName().toString().startsWith(CaptureSpool.DONE_PREFIX)) {
                removeDone(dir); // a stored capture's entry, whose deletion a JVM's end cut short
                continue;
            }
            CaptureSpool.Entry entry;
            try {
                entry = CaptureSpool.Entry.take(dir);
            } catch (IOException e) {
                onError.accept("the capture spooled in " + dir + " cannot be taken (" + e.getMessage()
                        + "); it is kept for the next command");
                continue;
            }
            if (entry == null) {
                continue; // a capture in progress
            }
            try {
                Path record = dir.resolve(CaptureSpool.RECORD);
                if (!Files.exists(record)) {
                    entry.delete(); // never complete: the process was not killed for it
                    continue;
                }
                CaptureSpool.SpooledCapture c = CaptureSpool.mapper().readValue(record.toFile(),
                        CaptureSpool.SpooledCapture.class);
                if (!store.location().equals(c.store())) {
                    entry.close();
                    continue;
                }
                if (c.version() != CaptureSpool.VERSION && c.version() != CaptureSpool.VERSION_SYNCED) {
                    throw new IOException("it was spooled by another version of Cryostash (spool format "
                            + c.version() + ", this one reads " + CaptureSpool.VERSION + "); store it with that version");
                }
                int pid = c.draft().process().pid();
                if (!CaptureSpool.intact(c, dir)) {
                    entry.delete();
                    onError.accept("the checkpoint --kill of pid " + pid + " (" + c.draft().process().comm()
                            + ") spooled to " + dir + " was not stored before the machine restarted, and its spool"
                            + " had not been synced to disk: its pages may be incomplete, so it was dropped and no"
                            + " image was stored (the process itself died with the restart)");
                    continue;
                }
                if (stillRuns(pid, c.startTime())) {
                    entry.delete();
                    onError.accept("pid " + pid + " (" + c.draft().process().comm() + ") still runs: its checkpoint"
                            + " --kill stopped after spooling it to " + dir + " but before killing it, so it was let go"
                            + " and no image was stored; its spooled state was dropped");
                    continue;
                }
                ProcessImage parent = c.parent() == null ? null : store.read(c.parent());
                List<CapturedArea> areas = CaptureSpool.areas(c, dir, start -> parent == null ? null
                        : parent.areas().stream().filter(a -> a.start() == start).map(MemoryArea::content)
                        .findFirst().orElse(null));
                long bytes = areas.stream().mapToLong(CapturedArea::bytes).sum();
                MemoryCapture.Result memory = new MemoryCapture.Result(areas, bytes, null);
                // the process is dead: no sockets of it to release, no connection to put in repair mode
                DescriptorCapture.Result fds = new DescriptorCapture.Result(c.draft().fds(), List.of(),
                        CaptureSpool.fdContents(c, dir), new ArrayList<>(), List.of());
                ProcessImage written = ImageArchive.write(store, null, new AreaChunker(c.pageSize(), c.chunkPages()),
                        c.draft().withAreas(List.of()), memory, parent, c.tracking(), fds, CaptureSpool.sysv(c, dir));
                entry.delete();
                done.add(new Replayed(c.draft().process().pid(), c.draft().process().comm(), written.id(), dir));
            } catch (IOException | RuntimeException e) {
                entry.close();
                onError.accept("the capture spooled in " + dir + " could not be stored yet: " + e.getMessage());
            }
        }
        return done;
    }

    private static void removeDone(Path dir) {
        try {
            CaptureSpool.Entry entry = CaptureSpool.Entry.take(dir);
            if (entry != null) { // else its deletion is still under way in a live process
                entry.delete();
            }
        } catch (IOException e) {
            // tried again by the next replay
        }
    }

    /** Whether the process spooled is alive: the same pid started at the same time, not a zombie. */
    private static boolean stillRuns(int pid, long startTime) {
        try {
            io.cryostash.agent.proc.ProcStat st = io.cryostash.agent.proc.ProcStat.read(pid);
            return st.startTime() == startTime && st.state() != 'Z' && st.state() != 'X';
        } catch (RuntimeException gone) {
            return false;
        }
    }
}
