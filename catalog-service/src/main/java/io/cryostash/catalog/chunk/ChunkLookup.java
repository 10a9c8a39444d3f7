// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;
import org.springframework.stereotype.Service;

/**
 * "Which of these chunk keys do you have?" Keys the {@link ChunkKeyFilter} rules out are missing at
 * once; every other key is looked up in the chunk table, which alone decides that a key is known.
 */
@Service
public class ChunkLookup {

    /** Below this many keys per part, a second connection costs more than it saves. */
    static final int MIN_PART = 2_000;
    private final JdbcClient jdbc;
    private final ChunkFilterService filter;
    private final ThreadPoolTaskExecutor lookups;

    public ChunkLookup(JdbcClient jdbc, ChunkFilterService filter,
                       @Qualifier(ChunkLookupConfig.LOOKUPS) ThreadPoolTaskExecutor lookups) {
        this.jdbc = jdbc;
        this.filter = filter;
        this.lookups = lookups;
    }

    /** For each key, whether the chunk table holds it. */
    public boolean[] known(byte[][] keys) {
        ChunkKeyFilter f = filter.filter();
        int[] candidates = new int[keys.length];
        int n = 0;
        for (int i = 0; i < keys.length; i++) {
            if (f == null || f.mightContain(keys[i])) candidates[n++] = i;
        }
        byte[][] ask = new byte[n][];
        for (int i = 0; i < n; i++) ask[i] = keys[candidates[i]];
        boolean[] found = inDatabase(ask);
        boolean[] out = new boolean[keys.length];
        for (int i = 0; i < n; i++) out[candidates[i]] = found[i];
        return out;
    }

    /**
     * For each key, whether the chunk table holds it, asking the database about every one. Keys are
     * sorted first so that each part walks its own range of the index; large queries are split into
     * one part per lookup thread, on separate connections (a probe costs microseconds of CPU).
     */
    public boolean[] inDatabase(byte[][] keys) {
        boolean[] out = new boolean[keys.length];
        if (keys.length == 0) return out;
        byte[][] sorted = keys.clone();
        Arrays.sort(sorted, Arrays::compareUnsigned);
        int parts = Math.max(1, Math.min(lookups.getMaxPoolSize(), sorted.length / MIN_PART));
        int per = (sorted.length + parts - 1) / parts;
        List<Future<List<byte[]>>> futures = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            byte[][] part = Arrays.copyOfRange(sorted, p * per, Math.min(sorted.length, (p + 1) * per));
            futures.add(lookups.submit(() -> present(part)));
        }
        List<byte[]> present = new ArrayList<>(present(Arrays.copyOfRange(sorted, 0, Math.min(sorted.length, per))));
        try {
            for (var fu : futures) present.addAll(fu.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while looking up chunk keys", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new IllegalStateException(e.getCause());
        }
        // Mark every position holding a present key (a query may name a key more than once).
        byte[][] have = present.toArray(byte[][]::new);
        Arrays.sort(have, Arrays::compareUnsigned);
        for (int i = 0; i < keys.length; i++) out[i] = Arrays.binarySearch(have, keys[i], Arrays::compareUnsigned) >= 0;
        return out;
    }

    /** The keys of a sorted batch that the chunk table holds (one index-only probe per key). */
    private List<byte[]> present(byte[][] sortedKeys) {
        return jdbc.sql("SELECT key FROM chunks WHERE key = ANY (?)")
                .param(sortedKeys)
                .query((rs, i) -> rs.getBytes(1)).list();
    }
}
