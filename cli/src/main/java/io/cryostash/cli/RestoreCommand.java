// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.restore.LazyRestore;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = "Rebuild a process from an image and let it run, detached.")
final class RestoreCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image-id>", description = "the image to restore")
    String imageId;

    @Option(names = "--allow-changed-files",
            description = "restore even if files the image maps changed since the checkpoint")
    boolean allowChangedFiles;

    @Option(names = "--log-dir", paramLabel = "<dir>", defaultValue = "/tmp",
            description = "where output to lost terminals and pipes goes (default: ${DEFAULT-VALUE})")
    Path logDir;

    @Option(names = "--lazy", description = "let the process run at once and bring its memory in as it touches it"
            + " (userfaultfd) and in the background; the command returns once all of it is in, and if it stops"
            + " before that the process is killed")
    boolean lazy;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        if (lazy) {
            return lazily();
        }
        RestoreResult r;
        try (ImageStore images = SpoolOnOpen.replay(store.open())) {
            r = new Restorer(images).restore(imageId, new RestoreOptions(allowChangedFiles, logDir));
        }
        System.err.printf("restored image %s as pid %d in %.1f ms%n", imageId, r.pid(), r.nanos() / 1e6);
        if (r.logFile() != null) {
            System.err.println("its terminal/pipe output now goes to " + r.logFile());
        }
        System.out.println(r.pid());
        return 0;
    }

    private int lazily() {
        try (ImageStore images = SpoolOnOpen.replay(store.open());
             LazyRestore r = new Restorer(images).restoreLazy(imageId, new RestoreOptions(allowChangedFiles, logDir))) {
            System.err.printf("restored image %s as pid %d, running after %.1f ms; its memory (%s) comes in as it"
                    + " runs: if this command stops before all of it is in, pid %d is killed%n", imageId, r.pid(),
                    r.runningNanos() / 1e6, Sizes.human(r.totalBytes()), r.pid());
            if (r.logFile() != null) {
                System.err.println("its terminal/pipe output now goes to " + r.logFile());
            }
            System.out.println(r.pid());
            System.out.flush();
            Thread hook = new Thread(() -> {
                r.close();
                System.err.printf("cryostash: restore --lazy interrupted: pid %d was killed, its memory was not all"
                        + " in%n", r.pid());
            });
            Runtime.getRuntime().addShutdownHook(hook);
            LazyRestore.Outcome o = r.awaitResident();
            Runtime.getRuntime().removeShutdownHook(hook);
            if (!o.resident()) {
                System.err.printf("cryostash: restore --lazy failed and pid %d was killed: %s%n", r.pid(), o.failure());
                return 1;
            }
            System.err.printf("all of pid %d's memory resident after %.1f ms (%s, %d faults served from the store)%n",
                    r.pid(), o.residentNanos() / 1e6, Sizes.human(o.bytes()), o.faults());
            return 0;
        }
    }
}
