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

    /**
     * A large generated file read with few, large reads: the kernel generates seq_file records
     * until its buffer is full, and the record that did not fit is generated again for the next
     * read. For smaps a record is a walk of the area's page tables (15 ms for a resident GiB):
     * {@link #readString}'s small first reads took 45 ms for a 1 GiB process, 1 MiB reads 23 ms.
     */
    static String readLarge(int pid, String file) {
        try (java.io.FileInputStream in = new java.io.FileInputStream(of(pid, file).toFile())) {
            byte[] b = new byte[1 << 20];
            int n = 0;
            for (int got; (got = in.read(b, n, b.length - n)) > 0; ) {
                n += got;
                if (n == b.length) {
                    b = java.util.Arrays.copyOf(b, b.length * 2);
                }
            }
            return new String(b, 0, n, java.nio.charset.StandardCharsets.UTF_8);
        } catch (java.io.FileNotFoundException e) {
            if (!Files.exists(of(pid))) {
                throw new NoSuchProcessException(pid);
            }
            throw new ProcReadException(pid, file, e);
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
