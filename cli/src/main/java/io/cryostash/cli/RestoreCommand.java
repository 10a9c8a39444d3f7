// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
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

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
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
}
