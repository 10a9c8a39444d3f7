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

    public FixtureProcess restore(FixtureProcess original, String imageId) {
        return restore(original, imageId, false);
    }

    public FixtureProcess restore(FixtureProcess original, String imageId, boolean allowChangedFiles) {
        lastRestore = new Restorer(store).restore(imageId, new RestoreOptions(allowChangedFiles, logDir));
        return original.restoredAs(lastRestore.pid());
    }

    /** Checkpoint with kill, then restore: the usual round trip. */
    public FixtureProcess killAndRestore(FixtureProcess f) {
        return restore(f, checkpoint(f, true).image().id());
    }

    public RestoreResult lastRestore() {
        return lastRestore;
    }
}
