// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.daemon.AgentDaemon;
import io.cryostash.daemon.AgentSettings;
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

    @Option(names = "--close-fd", paramLabel = "<fd>", split = ",",
            description = "give up these descriptors, which Cryostash cannot save (capture names them when it"
                    + " refuses): the restored process has them closed")
    java.util.Set<Integer> closeFds = new java.util.TreeSet<>();

    @Option(names = "--redirect-fd", paramLabel = "<fd>", split = ",",
            description = "give up these descriptors, which Cryostash cannot save: the restored process gets"
                    + " /dev/null (read) or a log file (write) in their place")
    java.util.Set<Integer> redirectFds = new java.util.TreeSet<>();

    @Mixin
    StoreOption store;

    @Mixin
    CatalogOption catalog;

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
            try (ImageStore images = SpoolOnOpen.replay(AgentDaemon.openStore(host, new HostDirectory(host.hostDir())))) {
                long before = images.repository().chunks().stats().compressedBytes();
                r = capture(images);
                long stored = images.repository().chunks().stats().compressedBytes() - before;
                String name = job != null ? job : r.image().process().comm();
                waiting = CheckpointPublisher.publish(host, CheckpointEvents.completed(null, host.hostId(), name, r, stored));
                System.err.println(waiting == null ? "registered in the catalog as job " + name + " of host " + host.hostId()
                        : "not registered yet: " + waiting);
            }
        } else {
            try (ImageStore images = SpoolOnOpen.replay(store.open())) {
                r = capture(images);
            }
        }
        int threads = r.image().threads().size();
        System.err.printf("checkpointed pid %d (%s%s): %s of memory read while frozen (%s), frozen %.1f ms,"
                + " total %.1f ms%s%n", pid,
                r.image().process().comm(), threads == 1 ? "" : ", " + threads + " threads", Sizes.human(r.memoryBytes()), r.image().tracking(), r.freezeNanos() / 1e6,
                r.totalNanos() / 1e6, kill ? ", process killed" : "");
        // where the freeze went, in ms (with --kill, "resume" is the spool's write and fsync)
        System.err.println("freeze phases (ms): " + r.phases().format());
        for (String note : r.notes()) {
            System.err.println("  not kept as it was: " + note);
        }
        System.out.println(r.image().id());
        return 0;
    }

    private CaptureResult capture(ImageStore images) {
        return new Capturer(images, new AreaChunker(AreaChunker.DEFAULT_PAGE_SIZE, chunkPages))
                .capture(pid, new CaptureOptions(kill, parent, track, preCopy, new FdLosses(closeFds, redirectFds)));
    }
}
