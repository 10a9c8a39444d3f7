// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkKeyFilterTests {

    static byte[] sha256(long n) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Long.toString(n).getBytes());
    }

    @Test
    void everyAddedKeyMayBePresentAcrossGrowth() throws Exception {
        ChunkKeyFilter f = new ChunkKeyFilter(0);
        List<byte[]> added = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            byte[] k = sha256(i);
            f.add(k);
            added.add(k);
        }
        assertThat(f.size()).isEqualTo(50_000);
        assertThat(f.bytes()).isGreaterThanOrEqualTo(8L * 50_000 * 4 / 3);
        for (byte[] k : added) assertThat(f.mightContain(k)).isTrue();
    }

    @Test
    void keysNeverAddedAreAlmostAlwaysRuledOut() throws Exception {
        ChunkKeyFilter f = new ChunkKeyFilter(10_000);
        for (int i = 0; i < 10_000; i++) f.add(sha256(i));
        int maybe = 0;
        for (int i = 10_000; i < 110_000; i++) if (f.mightContain(sha256(i))) maybe++;
        // 64-bit prefixes of hashes: a coincidence among 10,000 keys is out of reach.
        assertThat(maybe).isZero();
    }

    @Test
    void keysWithCountersInFrontAndAZeroPrefixWork() {
        ChunkKeyFilter f = new ChunkKeyFilter(0);
        byte[] zero = new byte[32];
        f.add(zero);
        assertThat(f.mightContain(zero)).isTrue();
        for (long n = 1; n < 5_000; n++) {
            byte[] k = new byte[32];
            for (int i = 0; i < 8; i++) k[i] = (byte) (n >>> (56 - 8 * i));
            f.add(k);
        }
        byte[] absent = new byte[32];
        absent[7] = (byte) 0x99;
        absent[6] = (byte) 0x99;
        assertThat(f.mightContain(absent)).isFalse();
    }

    @Test
    void sameFirstEightBytesIsOnlyAMaybe() {
        ChunkKeyFilter f = new ChunkKeyFilter(0);
        byte[] k = new byte[32];
        k[0] = 7;
        f.add(k);
        byte[] sibling = k.clone();
        sibling[31] = 1;
        // The filter cannot tell these apart: that is why the database confirms every "maybe".
        assertThat(f.mightContain(sibling)).isTrue();
    }

    @Test
    void capacityKeepsTheTableAtMostThreeQuartersFull() {
        assertThat(ChunkKeyFilter.capacityFor(0)).isEqualTo(ChunkKeyFilter.MIN_CAPACITY);
        assertThat(ChunkKeyFilter.capacityFor(10_000_000)).isEqualTo(1 << 24);
        assertThat(ChunkKeyFilter.capacityFor(12_600_000)).isEqualTo(1 << 25);
    }
}
