// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import picocli.CommandLine.ArgGroup;
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

    @ArgGroup(exclusive = true)
    PidChoice pids;

    /** By default the process gets its own pid and tids back, and restore refuses when one is taken. */
    static final class PidChoice {
        @Option(names = "--new-pid-namespace", description = "rebuild it in a fresh PID namespace, where its own pid"
                + " and thread ids are free (e.g. beside the still-running original); the pid printed is the one"
                + " seen from here")
        boolean newNamespace;

        @Option(names = "--new-pid", description = "give it any free pid (single-threaded processes only: threads"
                + " keep each other's ids in memory)")
        boolean newPid;
    }

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        RestoreResult r;
        RestoreOptions.PidMode mode = pids == null ? RestoreOptions.PidMode.ORIGINAL
                : pids.newNamespace ? RestoreOptions.PidMode.NEW_PID_NAMESPACE : RestoreOptions.PidMode.NEW_PID;
        try (ImageStore images = store.open()) {
            r = new Restorer(images).restore(imageId, new RestoreOptions(allowChangedFiles, logDir, mode));
        }
        System.err.printf("restored image %s as pid %d%s in %.1f ms%n", imageId, r.pid(),
                r.ownPid() != r.pid() ? " (pid " + r.ownPid() + " inside its own PID namespace)" : "", r.nanos() / 1e6);
        if (r.logFile() != null) {
            System.err.println("its terminal/pipe output now goes to " + r.logFile());
        }
        System.out.println(r.pid());
        return 0;
    }
}
