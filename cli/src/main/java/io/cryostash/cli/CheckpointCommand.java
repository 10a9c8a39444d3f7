// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.agent.proc.ProcStat;
import io.cryostash.daemon.AgentSettings;
import io.cryostash.daemon.catalog.CatalogLink;
import io.cryostash.store.repository.Repository;
import io.cryostash.daemon.snapshot.CheckpointEvents;
import io.cryostash.daemon.snapshot.CheckpointPublisher;
import io.cryostash.daemon.state.HostDirectory;
import io.cryostash.capture.FdLosses;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "checkpoint", description = "Freeze a process, write its image, and let it run on (or kill it).")
final class CheckpointCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<pid>", description = "the process to checkpoint")
    int pid;

    @Option(names = "--kill", description = "kill the process once the image is complete and on disk")
    boolean kill;

    @Option(names = "--no-network-lock", description = "with --kill: do not lock the network of the process's TCP"
            + " connections until their restore (by default their packets are dropped meanwhile, so their peers see"
            + " silence, not a reset, and no byte is acknowledged that the image does not hold)")
    boolean noNetworkLock;

    @Option(names = "--tcp-skip-in-flight", description = "with --kill: give up connections waiting in a listening"
            + " socket's accept queue (their clients see a reset) instead of refusing the capture; the output lists them")
    boolean tcpSkipInFlight;

    @Option(names = "--tree", description = "take the process and all its descendants (parent/child links, process"
            + " groups and sessions, zombies, pipes and shared memory between them); with --kill all of them are killed"
            + " once the image is stored")
    boolean tree;

    @Option(names = "--parent", paramLabel = "<image-id>",
            description = "an earlier image of this process: unchanged memory reuses its stored chunks")
    String parent;

    @Option(names = "--track", description = "keep tracking the pages the process writes (userfaultfd"
            + " write-protect) so that the next --parent capture reads only those")
    boolean track;

    @Option(names = "--pre-copy", description = "copy memory while the process runs, then freeze it only to copy"
            + " what it wrote meanwhile (shorter freeze for large processes)")
    boolean preCopy;

    @Option(names = "--chunk-pages", paramLabel = "<n>", defaultValue = "16",
            description = "memory chunk size in pages, 1..64 (default ${DEFAULT-VALUE} = 64 KiB; see docs/store-format.md)."
                    + " Smaller chunks dedup scattered single-page writes better and compress slower; an area whose"
                    + " parent used another size is stored whole")
    int chunkPages;

    @Option(names = "--job", paramLabel = "<name>",
            description = "register the image in the catalog under this job (default with a catalog: the process's name)")
    String job;

    @Option(names = "--close-fd", paramLabel = "<fd>|<pid>:<fd>", split = ",",
            description = "give up these descriptors, which Cryostash cannot save (capture names them when it"
                    + " refuses): the restored process has them closed. A bare number is a descriptor of <pid>;"
                    + " with --tree, <pid>:<fd> names one of another process of the tree")
    java.util.List<String> closeFds = new java.util.ArrayList<>();

    @Option(names = "--redirect-fd", paramLabel = "<fd>|<pid>:<fd>", split = ",",
            description = "give up these descriptors, which Cryostash cannot save: the restored process gets"
                    + " /dev/null (read) or a log file (write) in their place (<pid>:<fd> as for --close-fd)")
    java.util.List<String> redirectFds = new java.util.ArrayList<>();

    @Option(names = "--sysv-key", paramLabel = "<key>", split = ",",
            description = "also keep the SysV IPC objects with these keys (decimal or 0x hex): capture finds only"
                    + " the objects the process has attached, created or used last, not one it knows and has not"
                    + " touched yet")
    java.util.List<String> sysvKeys = new java.util.ArrayList<>();

    @Option(names = "--sysv-id", paramLabel = "<kind:id>", split = ",",
            description = "also keep these SysV IPC objects by id: shm:ID, sem:ID or msg:ID")
    java.util.List<String> sysvIds = new java.util.ArrayList<>();

    @Mixin
    StoreOption store;

    @Mixin
    CatalogOption catalog;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (chunkPages < 1 || chunkPages > 64) {
            throw new IllegalArgumentException("--chunk-pages must be 1..64 (pages of 4 KiB), not " + chunkPages);
        }
        String catalogUrl = catalog.url(store.store != null);
        if (job != null && catalogUrl == null) {
            throw new IllegalArgumentException("--job registers the image in a catalog, and none is configured (--catalog,"
                    + " $CRYOSTASH_CATALOG or " + catalog.configFile() + "); without --job the image stays in the store only");
        }
        CaptureResult r;
        String waiting = null;
        if (catalogUrl != null) {
            AgentSettings host = CatalogStore.hostSettings(catalog, store, catalogUrl);
            String comm = comm(pid);
            // before anything is frozen: a used-up quota refuses here, else the capture stops short of going over
            HostDirectory dir = new HostDirectory(host.hostDir());
            Repository.UploadLimit limit = new CatalogLink(catalogUrl, host.hostId(), dir, dir.keys(), host.enrolToken())
                    .uploadLimit(job != null ? job : comm);
            try (ImageStore images = SpoolOnOpen.replay(AgentDaemon.openStore(host, new HostDirectory(host.hostDir())));
                 AutoCloseable scope = limit == null ? () -> { } : images.repository().limitUploads(limit)) {
                long before = images.repository().chunks().stats().compressedBytes();
                r = capture(images);
                long stored = images.repository().chunks().stats().compressedBytes() - before;
                String name = job != null ? job : r.image().process().comm();
                waiting = CheckpointPublisher.publish(host, CheckpointEvents.completed(null, host.hostId(), name, r, stored));
                System.err.println(waiting == null ? "registered in the catalog as job " + name + " of host " + host.hostId()
                        : "not registered yet: " + waiting);
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        } else {
            try (ImageStore images = SpoolOnOpen.replay(store.open())) {
                r = capture(images);
            }
        }
        int threads = r.image().threads().size();
        String members = r.image().hasTree() ? ", with " + r.image().tree().members().size() + " descendants" : "";
        System.err.printf("checkpointed pid %d (%s%s%s): %s of memory read while frozen (%s), frozen %.1f ms,"
                + " total %.1f ms%s%n", pid,
                r.image().process().comm(), threads == 1 ? "" : ", " + threads + " threads", members, Sizes.human(r.memoryBytes()), r.image().tracking(), r.freezeNanos() / 1e6,
                r.totalNanos() / 1e6, kill ? ", process killed" : "");
        // where the freeze went, in ms (with --kill, "resume" is the spool's write and fsync)
        System.err.println("freeze phases (ms): " + r.phases().format());
        if (kill && tree) {
            System.err.println("the tree stayed frozen until its image was stored, then was killed (a tree is not"
                    + " spooled to local disk first, as a single process is)");
        }
        for (String note : r.notes()) {
            System.err.println("  not kept as it was: " + note);
        }
        System.out.println(r.image().id());
        return 0;
    }

    /** The process's name (the default job), or null when it cannot be read: the capture then says why. */
    private static String comm(int pid) {
        try {
            return ProcStat.read(pid).comm();
        } catch (RuntimeException e) {
            return null;
        }
    }

    private CaptureResult capture(ImageStore images) {
        Capturer capturer = new Capturer(images, new AreaChunker(AreaChunker.DEFAULT_PAGE_SIZE, chunkPages))
                .keepingBuffersIn(Cryostash.copyBuffersOf(spec));
        GivenUpFds close = GivenUpFds.parse("--close-fd", closeFds, pid);
        GivenUpFds redirect = GivenUpFds.parse("--redirect-fd", redirectFds, pid);
        CaptureOptions options = new CaptureOptions(kill, parent, track, preCopy,
                new FdLosses(close.own(), redirect.own()), GivenUpFds.byProcess(close, redirect),
                io.cryostash.capture.sysvipc.SysvSelection.parse(sysvKeys, sysvIds));
        if (noNetworkLock) {
            options = options.withoutNetworkLock();
        }
        if (tcpSkipInFlight) {
            options = options.skippingInFlight();
        }
        return tree ? capturer.captureTree(pid, options) : capturer.capture(pid, options);
    }
}
