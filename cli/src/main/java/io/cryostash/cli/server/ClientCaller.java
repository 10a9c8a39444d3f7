// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.cryostash.cli.Caller;

/** A daemon's client as the command sees it: its working directory, and its going away mid-command. */
final class ClientCaller implements Caller {
    private final Path cwd;
    private final List<Runnable> hooks = new ArrayList<>();
    private boolean gone;

    ClientCaller(Path cwd) {
        this.cwd = cwd;
    }

    @Override
    public Path resolve(String typed) {
        return cwd.resolve(typed);
    }

    @Override
    public Hangup onHangup(Runnable hook) {
        synchronized (this) {
            if (!gone) {
                hooks.add(hook);
                return () -> {
                    synchronized (this) {
                        hooks.remove(hook);
                    }
                };
            }
        }
        hook.run();
        return () -> { };
    }

    /** The client went away: runs what the command asked to run then, once. */
    void hangUp() {
        List<Runnable> run;
        synchronized (this) {
            if (gone) {
                return;
            }
            gone = true;
            run = List.copyOf(hooks);
            hooks.clear();
        }
        run.forEach(Runnable::run);
    }
}
