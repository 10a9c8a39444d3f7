// SPDX-License-Identifier: Apache-2.0
package io.cryostash.capture.memory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cryostash.agent.linux.ProcessMemory;
import io.cryostash.agent.linux.ProcessVm;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.agent.proc.Pagemap;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.schema.image.MemoryArea.Kind;
import io.cryostash.schema.store.AreaChunks;

/**
 * The copy of a pre-copy capture that runs while the process runs: every private area's
 * present pages are read and stored as chunks. Pages written meanwhile may be read torn; the
 * write tracker armed before saw those writes, and the freeze that follows reads their chunks
 * again, so the freeze only costs what the program writes during the copy.
 */
public final class PreCopy {
    private PreCopy() {
    }

    /** @return stored content by area start, for the areas this pass copied */
    public static Map<Long, AreaChunks> copy(int pid, List<MapsEntry> maps, ImageWriter writer, AreaChunker chunker) {
        Map<Long, AreaChunks> out = new HashMap<>();
        ByteBuffer[] bounce = {ByteBuffer.allocateDirect(1 << 20)};
        try (Pagemap pagemap = new Pagemap(pid); ProcessMemory mem = new ProcessMemory(pid, false)) {
            for (MapsEntry e : maps) {
                Kind kind = MemoryCapture.classify(pid, e);
                if (kind != Kind.ANONYMOUS && kind != Kind.FILE_PRIVATE) {
                    continue;
                }
                long[] pm = pagemap.entries(e.start(), e.end());
                BitSet present = new BitSet(pm.length);
                for (int i = 0; i < pm.length; i++) {
                    if (MemoryCapture.keep(kind, pm[i])) {
                        present.set(i);
                    }
                }
                boolean readable = e.perms().charAt(0) == 'r';
                AreaChunker.MemoryReader reader = (address, dst) -> {
                    ByteBuffer direct = dst;
                    if (!dst.isDirect()) {
                        if (bounce[0].capacity() < dst.remaining()) {
                            bounce[0] = ByteBuffer.allocateDirect(dst.remaining());
                        }
                        direct = bounce[0].clear().limit(dst.remaining());
                    }
                    int start = direct.position();
                    if (readable) {
                        ProcessVm.read(pid, address, direct);
                    }
                    if (direct.hasRemaining()) {
                        mem.read(address + direct.position() - start, direct);
                    }
                    if (direct != dst) {
                        direct.flip();
                        dst.put(direct);
                    }
                };
                try {
                    out.put(e.start(), writer.putArea(chunker, e.start(), e.length(),
                            AreaChunker.PagePresence.of(present), reader));
                } catch (RuntimeException | IOException changedUnderUs) {
                    // unmapped or remapped while we read: the freeze reads this area whole
                }
            }
        }
        return out;
    }
}
