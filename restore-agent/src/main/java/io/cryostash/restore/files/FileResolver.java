// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.files;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import io.cryostash.store.image.ImageIntegrityException;
import io.cryostash.store.IntegrityException;
import io.cryostash.store.repository.FileStore;
import io.cryostash.restore.RestoreException;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.ProcessImage;

/**
 * Decides which file on this host stands for each file the image relies on. Executables and
 * libraries were stored by content: this host's copy is used when its SHA-256 matches, else the
 * stored copy, fetched into the local cache. Other files (data the program mapped) cannot be
 * replaced by a copy: they must be here and unchanged, unless the user says otherwise.
 */
public final class FileResolver {
    private FileResolver() {
    }

    /** @return original path to the path to open on this host, for every file that differs */
    public static Map<String, String> resolve(FileStore files, ProcessImage image, boolean allowChangedFiles) {
        Map<String, String> out = new HashMap<>();
        List<FileFingerprint> unstored = new ArrayList<>();
        for (FileFingerprint f : image.files()) {
            if (f.content() == null) {
                unstored.add(f);
                continue;
            }
            try {
                Path p = files.materialize(f.content(), Path.of(f.path()));
                if (!p.toString().equals(f.path())) {
                    out.put(f.path(), p.toString());
                }
            } catch (IntegrityException e) {
                throw new ImageIntegrityException(e);
            } catch (IOException e) {
                throw new RestoreException("cannot provide " + f.path() + " (stored as " + f.content().sha256()
                        + "): " + e.getMessage(), e);
            }
        }
        List<FileCheck.Difference> diffs = FileCheck.differences(unstored);
        List<FileCheck.Difference> blocking = diffs.stream().filter(d -> d.missing() || !allowChangedFiles).toList();
        if (!blocking.isEmpty()) {
            String list = blocking.stream().map(FileCheck.Difference::message).collect(Collectors.joining("\n  "));
            boolean anyMissing = blocking.stream().anyMatch(FileCheck.Difference::missing);
            throw new RestoreException("image " + image.id() + " relies on files that are not as they were:\n  "
                    + list + (anyMissing ? "" : "\n(restore anyway with --allow-changed-files)"));
        }
        return out;
    }
}
