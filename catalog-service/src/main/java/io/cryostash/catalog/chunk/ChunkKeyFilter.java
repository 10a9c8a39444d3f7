// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

/**
 * The first 8 bytes of every chunk key the catalog holds, in an open-addressing table (linear
 * probing, at most 3/4 full: 8 to 16 bytes per key, 128 MiB for 10 million keys).
 *
 * <p>It answers only "certainly absent" or "maybe": a key whose prefix is not in the table is not in
 * the chunk table, any other key must be confirmed by the database. So nothing that goes wrong here
 * (a prefix shared by two keys, a reader racing a writer and reading an old slot, a key added before
 * its transaction commits or never committed) can make the catalog say it has a chunk it lacks; at
 * worst a chunk is reported missing and uploaded again.
 *
 * <p>Writers take the object's lock; readers take none. Slots only ever go from empty to full and a
 * grown table is published whole, so a reader sees each slot either empty (a miss, harmless as above)
 * or with its final value.
 */
public final class ChunkKeyFilter {

    static final int MIN_CAPACITY = 1 << 10;
    private volatile long[] slots;
    private int size;

    public ChunkKeyFilter(long expectedKeys) {
        slots = new long[capacityFor(expectedKeys)];
    }

    /** Whether the chunk table may hold this key (false: it certainly does not). */
    public boolean mightContain(byte[] key) {
        long fp = fingerprint(key);
        long[] t = slots;
        int mask = t.length - 1;
        for (int i = slot(fp, mask); ; i = (i + 1) & mask) {
            long v = t[i];
            if (v == fp) return true;
            if (v == 0) return false;
        }
    }

    public synchronized void add(byte[] key) {
        long fp = fingerprint(key);
        long[] t = slots;
        if (insert(t, fp)) {
            size++;
            if (size > t.length / 4 * 3) slots = grown(t);
        }
    }

    public synchronized int size() {
        return size;
    }

    /** Heap the table takes, in bytes. */
    public long bytes() {
        return 8L * slots.length;
    }

    private static boolean insert(long[] t, long fp) {
        int mask = t.length - 1;
        for (int i = slot(fp, mask); ; i = (i + 1) & mask) {
            long v = t[i];
            if (v == fp) return false;
            if (v == 0) {
                t[i] = fp;
                return true;
            }
        }
    }

    private static long[] grown(long[] t) {
        long[] g = new long[t.length * 2];
        for (long v : t) if (v != 0) insert(g, v);
        return g;
    }

    static int capacityFor(long keys) {
        long want = Math.max(MIN_CAPACITY, keys + keys / 3 + 1);
        if (want > 1 << 30) throw new IllegalArgumentException("too many chunk keys for the in-memory filter: " + keys);
        return Integer.highestOneBit((int) want - 1) << 1;
    }

    /** The key's first 8 bytes (0 stands for an empty slot, so a zero prefix counts as 1). */
    static long fingerprint(byte[] key) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (key[i] & 0xff);
        return v == 0 ? 1 : v;
    }

    /** Keys are hashes, but tests and tools use keys with counters in front: mix before taking low bits. */
    private static int slot(long fp, int mask) {
        long h = fp * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
