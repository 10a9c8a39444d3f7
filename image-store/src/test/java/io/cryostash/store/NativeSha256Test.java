// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** Chunk keys are the same whichever SHA-256 computes them (libcrypto's or the JDK's). */
class NativeSha256Test {
    private static byte[] jdk(byte[] data, int off, int len) throws Exception {
        MessageDigest d = MessageDigest.getInstance("SHA-256");
        d.update(data, off, len);
        return d.digest();
    }

    @Test
    void libcryptoIsUsedOnThisMachine() {
        // Debian ships libcrypto.so.3 with OpenSSL; if this fails the fallback works but is slower
        assertThat(NativeSha256.available()).isTrue();
    }

    @Test
    void incrementalDigestOfPiecesEqualsTheJdksOfTheWhole() throws Exception {
        Random r = new Random(7);
        byte[] whole = new byte[300_000];
        r.nextBytes(whole);
        Hashing.Digest d = Hashing.newDigest();
        ByteBuffer direct = ByteBuffer.allocateDirect(whole.length);
        direct.put(whole).clear();
        d.update(whole, 0, 1000);                            // array from 0
        d.update(direct.slice(1000, 99_000));                // direct slice
        d.update(ByteBuffer.wrap(whole, 100_000, 100_000));  // heap buffer with an offset
        d.update(whole, 200_000, 100_000);                   // array with an offset
        assertThat(d.digest()).isEqualTo(jdk(whole, 0, whole.length));
    }

    @Test
    void keysOfArraysHeapAndDirectBuffersAndSlicesAgreeWithTheJdk() throws Exception {
        Random r = new Random(42);
        for (int len : new int[] {0, 1, 4095, 4096, 4097, 65536, 65536 * 3 + 17}) {
            byte[] data = new byte[len + 100];
            r.nextBytes(data);
            byte[] exact = java.util.Arrays.copyOf(data, len);
            byte[] want = jdk(exact, 0, len);
            assertThat(Hashing.key(exact).toBytes()).isEqualTo(want);
            assertThat(Hashing.sha256(exact)).isEqualTo(want);
            assertThat(Hashing.sha256(data, 50, len)).isEqualTo(jdk(data, 50, len));
            ByteBuffer direct = ByteBuffer.allocateDirect(len + 100);
            direct.put(data).clear();
            ByteBuffer slice = direct.slice(50, len);
            assertThat(Hashing.key(slice).toBytes()).isEqualTo(jdk(data, 50, len));
            ByteBuffer positioned = direct.duplicate().position(30).limit(30 + len);
            assertThat(Hashing.key(positioned).toBytes()).isEqualTo(jdk(data, 30, len));
            assertThat(positioned.position()).isEqualTo(30);
            ByteBuffer heap = ByteBuffer.wrap(data, 20, len);
            assertThat(Hashing.key(heap).toBytes()).isEqualTo(jdk(data, 20, len));
            ByteBuffer heapSlice = ByteBuffer.wrap(data).slice(10, len); // a non-zero array offset
            assertThat(Hashing.key(heapSlice).toBytes()).isEqualTo(jdk(data, 10, len));
            ByteBuffer readOnly = ByteBuffer.wrap(data, 40, len).asReadOnlyBuffer();
            assertThat(Hashing.key(readOnly).toBytes()).isEqualTo(jdk(data, 40, len));
            assertThat(readOnly.position()).isEqualTo(40);
        }
    }
}
