// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
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

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        if (chunkPages < 1 || chunkPages > 64) {
            throw new IllegalArgumentException("--chunk-pages must be 1..64 (pages of 4 KiB), not " + chunkPages);
        }
        CaptureResult r;
        try (ImageStore images = SpoolOnOpen.replay(store.open())) {
            r = new Capturer(images, new AreaChunker(AreaChunker.DEFAULT_PAGE_SIZE, chunkPages))
                    .capture(pid, new CaptureOptions(kill, parent, track, preCopy));
        }
        System.err.printf("checkpointed pid %d (%s): %s of memory read while frozen (%s), frozen %.1f ms,"
                + " total %.1f ms%s%n", pid,
                r.image().process().comm(), Sizes.human(r.memoryBytes()), r.image().tracking(), r.freezeNanos() / 1e6,
                r.totalNanos() / 1e6, kill ? ", process killed" : "");
        System.out.println(r.image().id());
        return 0;
    }
}
