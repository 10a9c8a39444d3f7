// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.cryostash.schema.image.FileFingerprint;

/** Compares the files an image relies on with what this host has. */
public final class FileCheck {
    private FileCheck() {
    }

    /** One file that is not as the image saw it; a missing file can never be overridden. */
    public record Difference(String path, boolean missing, String message) {
    }

    /** @return one entry per missing or changed file; empty when all match */
    public static List<Difference> differences(List<FileFingerprint> files) {
        List<Difference> out = new ArrayList<>();
        for (FileFingerprint f : files) {
            try {
                Map<String, Object> a = Files.readAttributes(Path.of(f.path()), "unix:size,lastModifiedTime,ino");
                long size = (Long) a.get("size");
                long mtime = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
                long ino = (Long) a.get("ino");
                if (size != f.size() || mtime != f.mtimeNanos() || ino != f.inode()) {
                    out.add(new Difference(f.path(), false, f.path() + " changed since the checkpoint (size " + f.size() + " -> " + size
                            + ", inode " + f.inode() + " -> " + ino + ", mtime " + (mtime == f.mtimeNanos() ? "same"
                            : "differs") + ")"));
                }
            } catch (NoSuchFileException e) {
                out.add(new Difference(f.path(), true, f.path() + " is missing on this host"));
            } catch (IOException e) {
                out.add(new Difference(f.path(), true, f.path() + " cannot be read: " + e.getMessage()));
            }
        }
        return out;
    }
}
