// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Paths under /proc and the one way this package reads them. */
final class ProcPath {
    private ProcPath() {
    }

    static Path of(int pid, String... rest) {
        return Path.of("/proc", Integer.toString(pid)).resolve(String.join("/", rest));
    }

    static String readString(int pid, String file) {
        try {
            return Files.readString(of(pid, file));
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, file, e);
        }
    }

    static byte[] readBytes(int pid, String file) {
        try {
            return Files.readAllBytes(of(pid, file));
        } catch (NoSuchFileException e) {
            throw new NoSuchProcessException(pid);
        } catch (IOException e) {
            throw new ProcReadException(pid, file, e);
        }
    }
}
