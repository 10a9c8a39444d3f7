// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.tracking;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Which image a process's write tracking is relative to. Written pages are only meaningful
 * against the capture that last write-protected them: a state file per process (pid and start
 * time, so a recycled pid never matches) says "pending" while a capture is under way and
 * "image ID" once it is stored. Anything else means "read everything".
 */
public final class TrackingState {
    private final Path file;

    public TrackingState(Path stateDir, int pid, long startTime) {
        this.file = stateDir.resolve("tracking").resolve(pid + "-" + startTime);
    }

    /** The image the tracked writes are relative to, or null if unknown or a capture failed midway. */
    public String lastImage() {
        try {
            String s = Files.readString(file).trim();
            return s.startsWith("image ") ? s.substring(6) : null;
        } catch (IOException e) {
            return null;
        }
    }

    public void pending() {
        write("pending");
    }

    public void stored(String imageId) {
        write("image " + imageId);
    }

    private void write(String s) {
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, s + "\n");
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new IllegalStateException("cannot record write tracking in " + file + ": " + e.getMessage(), e);
        }
    }
}
