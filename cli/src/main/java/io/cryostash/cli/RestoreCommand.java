// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;

import io.cryostash.store.image.ImageStore;
import io.cryostash.restore.LazyRestore;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
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

    @Option(names = "--host", paramLabel = "<host-id>",
            description = "ask the catalog to restore it on this host, through its agent, and wait for the outcome")
    String host;

    @Option(names = "--timeout", paramLabel = "<duration>", defaultValue = "PT5M",
            description = "how long to wait for a --host restore (ISO-8601, default ${DEFAULT-VALUE}); the request stays"
                    + " queued after that")
    java.time.Duration timeout;

    @Option(names = "--tcp-close", description = "bring established TCP connections back closed (the program's"
            + " next read or write on them fails) instead of repairing them; for a host without the addresses"
            + " they had")
    boolean tcpClose;

    @Option(names = "--tty", paramLabel = "<path>", description = "put the process's terminal on this terminal"
            + " (e.g. a tmux pane's, from tmux display -p '#{pane_tty}'): its settings are applied and it gets"
            + " SIGWINCH to redraw. Without it, standard streams on a terminal go to /dev/null or the log")
    Path tty;

    @Option(names = "--new-pty", description = "put the process's terminal on a new pseudo-terminal that this"
            + " command makes and then relays, like a terminal window: the program's screen appears on this command's"
            + " output and what is typed here goes to it, until it exits (closing this command hangs it up)")
    boolean newPty;

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

    @Mixin
    CatalogOption catalog;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (host != null) {
            return viaCatalog();
        }
        if (lazy) {
            return lazily();
        }
        if (newPty) {
            return onNewPty();
        }
        RestoreResult r;
        try (ImageStore images = SpoolOnOpen.replay(store.open())) {
            r = new Restorer(images).restore(imageId, options());
        }
        System.err.printf("restored image %s as pid %d%s in %.1f ms%n", imageId, r.pid(),
                r.ownPid() != r.pid() ? " (pid " + r.ownPid() + " inside its own PID namespace)" : "", r.nanos() / 1e6);
        System.err.println("restore phases (ms): " + r.phases().format());
        if (r.logFile() != null) {
            System.err.println("its terminal/pipe output now goes to " + r.logFile());
        }
        r.notes().forEach(n -> System.err.println("note: " + n));
        System.out.println(r.pid());
        return 0;
    }

    private RestoreOptions options() {
        return options(tty);
    }

    private RestoreOptions options(Path terminal) {
        RestoreOptions.PidMode mode = pids == null ? RestoreOptions.PidMode.ORIGINAL
                : pids.newNamespace ? RestoreOptions.PidMode.NEW_PID_NAMESPACE : RestoreOptions.PidMode.NEW_PID;
        return new RestoreOptions(allowChangedFiles, logDir, tcpClose, terminal, mode);
    }

    /** {@code --new-pty}: restores onto a pseudo-terminal of this command's and relays it ({@link PtyRelay}). */
    private int onNewPty() throws InterruptedException {
        if (tty != null || lazy) {
            throw new IllegalArgumentException("--new-pty makes the terminal itself: it goes with neither --tty nor --lazy");
        }
        try (PtyRelay relay = PtyRelay.open()) {
            RestoreResult r;
            try (ImageStore images = SpoolOnOpen.replay(store.open())) {
                r = new Restorer(images).restore(imageId, options(relay.terminal().slave()));
            }
            System.err.printf("restored image %s as pid %d on %s (a new terminal this command relays until the"
                    + " program closes it)%n", imageId, r.pid(), relay.terminal().slave());
            r.notes().forEach(n -> System.err.println("note: " + n));
            try {
                relay.relay(System.in, System.out);
            } catch (java.io.IOException e) {
                System.err.println("cryostash: relaying the terminal of pid " + r.pid() + " stopped: " + e.getMessage());
                return 1;
            }
            return 0;
        }
    }

    private int lazily() {
        try (ImageStore images = SpoolOnOpen.replay(store.open());
             LazyRestore r = new Restorer(images).restoreLazy(imageId, options())) {
            System.err.printf("restored image %s as pid %d%s, running after %.1f ms; its memory (%s) comes in as it"
                    + " runs: if this command stops before all of it is in, pid %d is killed%n", imageId, r.pid(),
                    r.ownPid() != r.pid() ? " (pid " + r.ownPid() + " inside its own PID namespace)" : "",
                    r.runningNanos() / 1e6, Sizes.human(r.totalBytes()), r.pid());
            System.err.println("restore phases (ms): " + r.phases().format());
            if (r.logFile() != null) {
                System.err.println("its terminal/pipe output now goes to " + r.logFile());
            }
            System.out.println(r.pid());
            System.out.flush();
            // Ctrl-C here, or a daemon's client going away: the process must not run on with memory missing
            LazyRestore.Outcome o;
            try (Caller.Hangup hook = Cryostash.callerOf(spec).onHangup(() -> {
                r.close();
                System.err.printf("cryostash: restore --lazy interrupted: pid %d was killed, its memory was not all"
                        + " in%n", r.pid());
            })) {
                o = r.awaitResident();
            }
            if (!o.resident()) {
                System.err.printf("cryostash: restore --lazy failed and pid %d was killed: %s%n", r.pid(), o.failure());
                return 1;
            }
            System.err.printf("all of pid %d's memory resident after %.1f ms (%s, %d faults served from the store)%n",
                    r.pid(), o.residentNanos() / 1e6, Sizes.human(o.bytes()), o.faults());
            return 0;
        }
    }

    private int viaCatalog() throws InterruptedException {
        String url = catalog.url(false);
        if (url == null) {
            throw new IllegalArgumentException("--host asks a catalog to restore on that host, and none is configured"
                    + " (--catalog, $CRYOSTASH_CATALOG or " + catalog.configFile() + ")");
        }
        io.cryostash.daemon.catalog.CatalogClient client = catalog.client(url);
        String id = CatalogRestore.resolveImage(client, imageId);
        CatalogRestore.Outcome o = CatalogRestore.request(client, id, host, timeout);
        if (o.timedOut()) {
            System.err.println("restore request " + o.requestId() + " is still " + o.state() + " after " + timeout
                    + (o.state().equals("REQUESTED") ? ": the agent of host " + host + " has not taken it yet (is it running?)."
                    + " It stays queued and runs when that agent does." : "."));
            return 2;
        }
        if (!"COMPLETED".equals(o.state())) {
            System.err.println("restore request " + o.requestId() + " " + o.state() + (o.error() == null ? "" : ": " + o.error()));
            return 1;
        }
        System.err.println("restored image " + id.substring(0, 12) + " on host " + host + " as pid " + o.pid());
        System.out.println(o.pid());
        return 0;
    }
}
