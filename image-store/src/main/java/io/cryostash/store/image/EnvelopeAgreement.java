// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.image;

import java.util.HashSet;
import java.util.Set;

import io.cryostash.store.ManifestRejectedException;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.fds.MemoryFile;
import io.cryostash.schema.store.FileRef;
import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;

/**
 * The signed envelope and the process-image payload inside it must name the same things. The
 * envelope's lists are what garbage collection keeps and what the checker verifies; the payload
 * is what restore builds from. A payload that drops a chunk table its envelope lists would
 * restore that area with no pages, and one naming a file chunk the envelope does not list would
 * lose it at the next GC. {@code ImageWriter} writes exactly the chunks and tables of the
 * payload (less those a table already names), so any difference is damage or forgery.
 */
final class EnvelopeAgreement {
    private EnvelopeAgreement() {
    }

    /**
     * @param tablesNamed the chunk tables the payload's areas name
     */
    static void check(String id, SignedManifest envelope, ProcessImage image, Set<ChunkKey> tablesNamed)
            throws ManifestRejectedException {
        for (ChunkKey t : envelope.tables()) {
            if (!tablesNamed.contains(t)) {
                throw new ManifestRejectedException(id, "its envelope lists chunk table " + t.hex()
                        + " but no memory area of the manifest names it (an area would come back without its pages)");
            }
        }
        // a tree's processes are all in the one envelope
        java.util.List<ProcessImage> processes = new java.util.ArrayList<>(java.util.List.of(image));
        if (image.tree() != null) {
            image.tree().members().stream().filter(m -> m.image() != null).forEach(m -> processes.add(m.image()));
        }
        Set<ChunkKey> inTables = new HashSet<>();
        java.util.Map<String, FileRef> stored = new java.util.LinkedHashMap<>();
        for (ProcessImage p : processes) {
            String of = p == image ? "" : " of pid " + p.process().pid();
            for (MemoryArea a : p.areas()) {
                if (a.content() != null) {
                    a.content().chunks().forEach(c -> inTables.add(c.key()));
                    a.content().patches().stream().map(AreaChunk::key).forEach(inTables::add);
                }
            }
            for (FileFingerprint f : p.files()) {
                if (f.content() != null) {
                    stored.put("the stored copy of " + f.path() + of, f.content());
                }
            }
            for (FdEntry fd : p.fds()) { // a memfd's or deleted file's bytes
                if (fd.file() instanceof MemoryFile m && m.content() != null) {
                    stored.put("the stored contents of descriptor " + fd.fd() + of, m.content());
                }
            }
            for (var seg : p.sysvIpc().segments()) { // a SysV segment's bytes
                if (seg.content() != null) {
                    stored.put("the stored contents of SysV segment " + seg.id() + of, seg.content());
                }
            }
        }
        Set<ChunkKey> direct = new HashSet<>(envelope.chunks());
        Set<ChunkKey> fileChunks = new HashSet<>();
        for (var e : stored.entrySet()) {
            for (ChunkKey k : e.getValue().chunks()) {
                fileChunks.add(k);
                if (!direct.contains(k) && !inTables.contains(k)) {
                    throw new ManifestRejectedException(id, e.getKey() + " names chunk " + k.hex()
                            + ", which the signed envelope does not list");
                }
            }
        }
        for (ChunkKey k : direct) {
            if (!fileChunks.contains(k)) {
                throw new ManifestRejectedException(id, "its envelope lists chunk " + k.hex()
                        + " but the manifest uses it nowhere (a stored file or descriptor's contents were dropped from the"
                        + " manifest)");
            }
        }
    }
}
