// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog.chunk;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.cryostash.catalog.CatalogTest;
import io.cryostash.catalog.Fixtures;
import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.image.ImageRepository;
import io.cryostash.catalog.job.JobRepository;
import io.cryostash.schema.catalog.ChunkRef;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The known-key lookup against the real chunk table, with chunks written by {@link ImageRepository}
 * directly (so the in-memory key filter has not been told about them: only the database answers).
 */
@CatalogTest
class ChunkLookupRepositoryTests {

    @Autowired ChunkLookup lookup;
    @Autowired ImageRepository images;
    @Autowired HostRepository hosts;
    @Autowired JobRepository jobs;
    @Autowired Fixtures fx;

    static byte[] key(long n) {
        return HexFormat.of().parseHex(Fixtures.chunkKey(n));
    }

    /** Inserts an image naming chunks first..first+count-1 through the repository. */
    void insertChunks(long first, int count) {
        String host = Fixtures.unique("chunk-host");
        hosts.insert(host, host);
        var r = fx.registration(new Fixtures.Agent(host, null), "chunks", Instant.now(), null, 0, 0);
        images.insertWithJob(r, jobs.labelsJson(null));
        List<ChunkRef> refs = new ArrayList<>();
        for (int i = 0; i < count; i++) refs.add(new ChunkRef(Fixtures.chunkKey(first + i), 65536, 1000L, "p", (long) i));
        images.insertChunks(r.imageId(), refs);
    }

    @Test
    void answersEachKeyInQueryOrderIncludingRepeats() {
        long base = 20_000_000_000L + (System.nanoTime() % 100_000) * 100;
        insertChunks(base, 3);
        byte[][] ask = {key(base + 2), key(base + 50), key(base), key(base + 2), key(base + 1)};
        assertThat(lookup.inDatabase(ask)).containsExactly(true, false, true, true, true);
        assertThat(lookup.inDatabase(new byte[0][])).isEmpty();
    }

    @Test
    void aLargeQuerySplitOverConnectionsMissesNothing() {
        long base = 30_000_000_000L + (System.nanoTime() % 100_000) * 100_000;
        insertChunks(base, 5_000);
        int n = 3 * ChunkLookup.MIN_PART * 4;
        byte[][] ask = new byte[n][];
        for (int i = 0; i < n; i++) ask[i] = key(base + (long) (n - 1 - i) * 2);  // every other key, descending
        boolean[] known = lookup.inDatabase(ask);
        for (int i = 0; i < n; i++) {
            long k = (long) (n - 1 - i) * 2;
            assertThat(known[i]).as("key %d", k).isEqualTo(k < 5_000);
        }
    }

    @Test
    void theFilterNeverMakesAMissingKeyKnown() {
        long base = 40_000_000_000L + (System.nanoTime() % 100_000) * 100;
        insertChunks(base, 2);
        byte[][] ask = {key(base), key(base + 1), key(base + 7)};
        boolean[] known = lookup.known(ask);
        // The filter was not told about these chunks; whatever it says, the absent key stays missing,
        // and a key it lets through is confirmed by the database.
        assertThat(known[2]).isFalse();
        boolean[] db = lookup.inDatabase(ask);
        for (int i = 0; i < ask.length; i++) if (known[i]) assertThat(db[i]).isTrue();
    }
}
