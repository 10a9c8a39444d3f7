// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.testing;

import java.nio.file.Path;

import io.cryostash.store.image.ImageStore;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.capture.CaptureOptions;
import io.cryostash.capture.CaptureResult;
import io.cryostash.capture.Capturer;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.RestoreOptions.PidMode;
import io.cryostash.restore.RestoreResult;
import io.cryostash.restore.Restorer;

/** Checkpoint and restore of fixtures against one image store (a test's temporary directory). */
public final class RoundTrip {
    private final ImageStore store;
    private final Path storeDir;
    private final Path logDir;
    private RestoreResult lastRestore;

    public RoundTrip(Path root) {
        this.storeDir = root.resolve("store");
        this.store = ImageStore.local(storeDir);
        this.logDir = root.resolve("logs");
    }

    /** Compiles restore-agent/src/test/c/{name}.c once per run. */
    public static Path fixture(String name, String... gccFlags) {
        return CFixtures.compile("src/test/c/" + name + ".c", gccFlags);
    }

    public ImageStore store() {
        return store;
    }

    public Path storeDir() {
        return storeDir;
    }

    public Path logDir() {
        return logDir;
    }

    /** Checkpoints; with kill, also waits until the original is gone. */
    public CaptureResult checkpoint(FixtureProcess f, boolean kill) {
        CaptureResult r = new Capturer(store).capture(f.pid(), new CaptureOptions(kill));
        if (kill) {
            f.awaitGone();
        }
        return r;
    }

    /**
     * Restores with the image's own pid when the original is gone, and, for the single-threaded
     * fixtures that are restored beside their still-running original, with any free pid
     * ({@code --new-pid}); multi-threaded ones beside the original need {@link PidMode#NEW_PID_NAMESPACE}.
     */
    public FixtureProcess restore(FixtureProcess original, String imageId) {
        return restore(original, imageId, false);
    }

    public FixtureProcess restore(FixtureProcess original, String imageId, boolean allowChangedFiles) {
        return restore(original, imageId, allowChangedFiles, isGone(original) ? PidMode.ORIGINAL : PidMode.NEW_PID);
    }

    public FixtureProcess restore(FixtureProcess original, String imageId, PidMode pids) {
        return restore(original, imageId, false, pids);
    }

    public FixtureProcess restore(FixtureProcess original, String imageId, boolean allowChangedFiles, PidMode pids) {
        lastRestore = new Restorer(store).restore(imageId, new RestoreOptions(allowChangedFiles, logDir, pids));
        return original.restoredAs(lastRestore.pid());
    }

    private static boolean isGone(FixtureProcess f) {
        char s = f.state();
        return s == 0 || s == 'Z' || s == 'X';
    }

    /** Checkpoint with kill, then restore: the usual round trip. */
    public FixtureProcess killAndRestore(FixtureProcess f) {
        return restore(f, checkpoint(f, true).image().id());
    }

    public RestoreResult lastRestore() {
        return lastRestore;
    }
}
