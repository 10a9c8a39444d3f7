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

    @Option(names = "--tcp-close", description = "bring established TCP connections back closed (the program's"
            + " next read or write on them fails) instead of repairing them; for a host without the addresses"
            + " they had")
    boolean tcpClose;

    @Option(names = "--tty", paramLabel = "<path>", description = "put the process's terminal on this terminal"
            + " (e.g. a tmux pane's, from tmux display -p '#{pane_tty}'): its settings are applied and it gets"
            + " SIGWINCH to redraw. Without it, standard streams on a terminal go to /dev/null or the log")
    Path tty;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        RestoreResult r;
        try (ImageStore images = store.open()) {
            r = new Restorer(images).restore(imageId, new RestoreOptions(allowChangedFiles, logDir, tcpClose, tty));
        }
        System.err.printf("restored image %s as pid %d in %.1f ms%n", imageId, r.pid(), r.nanos() / 1e6);
        if (r.logFile() != null) {
            System.err.println("its terminal/pipe output now goes to " + r.logFile());
        }
        System.out.println(r.pid());
        return 0;
    }
}
