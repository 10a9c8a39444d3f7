// SPDX-License-Identifier: Apache-2.0
package io.cryostash.bench;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdCompressCtx;

import io.cryostash.agent.linux.ProcessVm;
import io.cryostash.agent.proc.Maps;
import io.cryostash.agent.proc.MapsEntry;
import io.cryostash.store.Hashing;
import io.cryostash.store.pack.ChunkCodec;

/**
 * The ceilings the store pipeline is measured against: copying the target's memory with
 * process_vm_readv, and SHA-256 + zstd of that memory in 64 KiB chunks on every core of this
 * JVM, with nothing else (no packing, no I/O).
 */
final class RawSpeed {
    static final int CHUNK = 64 << 10;

    private RawSpeed() {
    }

    /** The target's largest private anonymous area: memhog's buffer. */
    static MapsEntry largestAnonymous(int pid) {
        return Maps.read(pid).stream().filter(e -> e.path() == null || e.path().isEmpty())
                .filter(e -> !e.shared()).max((a, b) -> Long.compare(a.length(), b.length()))
                .orElseThrow(() -> new IllegalStateException("pid " + pid + " has no anonymous area"));
    }

    /** Reads the area into {@code dst} (cleared first) with process_vm_readv, 16 MiB per call. */
    static void readArea(int pid, MapsEntry area, ByteBuffer dst) {
        dst.clear();
        long at = area.start();
        while (at < area.end()) {
            int n = (int) Math.min(16 << 20, area.end() - at);
            ByteBuffer slice = dst.slice(dst.position(), n);
            long got = ProcessVm.read(pid, at, slice);
            if (got != n) {
                throw new IllegalStateException("short process_vm_readv at 0x" + Long.toHexString(at) + ": " + got);
            }
            dst.position(dst.position() + n);
            at += n;
        }
        dst.flip();
    }

    /** SHA-256 and zstd (the store's default level) of every 64 KiB chunk of {@code data}, on {@code threads}. */
    static long hashAndCompress(ByteBuffer data, int threads) throws Exception {
        int chunks = (data.limit() + CHUNK - 1) / CHUNK;
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Long>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                parts.add(pool.submit(() -> {
                    MessageDigest sha = Hashing.newSha256();
                    ByteBuffer dst = ByteBuffer.allocateDirect((int) Zstd.compressBound(CHUNK));
                    long out = 0;
                    try (ZstdCompressCtx z = new ZstdCompressCtx().setLevel(ChunkCodec.DEFAULT_LEVEL)) {
                        for (int i = next.getAndIncrement(); i < chunks; i = next.getAndIncrement()) {
                            int off = i * CHUNK;
                            int len = Math.min(CHUNK, data.limit() - off);
                            sha.update(data.slice(off, len));
                            sha.digest();
                            dst.clear();
                            out += z.compress(dst, data.slice(off, len));
                        }
                    }
                    return out;
                }));
            }
            long compressed = 0;
            for (Future<Long> f : parts) {
                compressed += f.get();
            }
            return compressed;
        } finally {
            pool.shutdown();
        }
    }
}
