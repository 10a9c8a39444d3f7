// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import io.cryostash.store.ManifestRejectedException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.SignedManifest;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestCodecProperties {
    private static final HostKeys KEYS = HostKeys.ephemeral();
    private static final TrustedKeys TRUST = TrustedKeys.of(KEYS.publicKey());

    @Provide
    Arbitrary<List<ChunkKey>> keys() {
        return Arbitraries.bytes().array(byte[].class).ofSize(32).map(ChunkKey::of).list().ofMaxSize(40);
    }

    @Provide
    Arbitrary<Instant> instants() {
        return Arbitraries.longs().between(0, 4_000_000_000L).map(s -> Instant.ofEpochSecond(s, s % 1_000_000_000L));
    }

    @Provide
    Arbitrary<String> hosts() {
        return Arbitraries.strings().ofMaxLength(60).filter(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 255)
                .filter(s -> s.equals(new String(s.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        java.nio.charset.StandardCharsets.UTF_8)));
    }

    @Property(tries = 200)
    void signedManifestRoundTrips(@ForAll("instants") Instant created, @ForAll("hosts") String host,
                                  @ForAll("keys") List<ChunkKey> keys, @ForAll("keys") List<ChunkKey> tables,
                                  @ForAll @Size(max = 3000) byte[] payload)
            throws Exception {
        byte[] enc = ManifestCodec.sign(KEYS, created, host, keys, tables, payload);
        String id = ManifestCodec.imageId(enc);
        SignedManifest m = ManifestCodec.verify(id, enc, TRUST);
        assertThat(m.created()).isEqualTo(created);
        assertThat(m.host()).isEqualTo(host);
        assertThat(m.chunks()).containsExactlyElementsOf(new TreeSet<>(keys));
        assertThat(m.tables()).containsExactlyElementsOf(new TreeSet<>(tables));
        assertThat(m.payload()).isEqualTo(payload);
        assertThat(ManifestCodec.signerKeyId(m)).isEqualTo(KEYS.keyId());
    }

    @Property(tries = 300)
    void anyFlippedByteIsRejected(@ForAll("keys") List<ChunkKey> keys, @ForAll @Size(max = 500) byte[] payload,
                                  @ForAll @IntRange(min = 0, max = 100_000) int where, @ForAll @IntRange(min = 1, max = 255) int mask) {
        byte[] enc = ManifestCodec.sign(KEYS, Instant.ofEpochSecond(1_700_000_000L), "host-a", keys,
                keys.subList(0, keys.size() / 2), payload);
        byte[] bad = enc.clone();
        bad[where % bad.length] ^= (byte) mask;
        // without the id (which alone would catch it): structure and signature must
        assertThatThrownBy(() -> ManifestCodec.verify(null, bad, TRUST)).isInstanceOf(ManifestRejectedException.class);
        assertThatThrownBy(() -> ManifestCodec.verify(ManifestCodec.imageId(enc), bad, TRUST))
                .isInstanceOf(ManifestRejectedException.class);
    }

    @Property(tries = 300)
    void garbageIsRejectedWithAMessage(@ForAll @Size(max = 2000) byte[] garbage) {
        assertThatThrownBy(() -> ManifestCodec.verify(null, garbage, TRUST)).isInstanceOf(ManifestRejectedException.class);
        assertThatThrownBy(() -> ManifestCodec.parse(null, garbage)).isInstanceOf(ManifestRejectedException.class);
    }

    @Property(tries = 100)
    void truncationIsRejected(@ForAll("keys") List<ChunkKey> keys, @ForAll @IntRange(min = 1, max = 10_000) int cut) {
        byte[] enc = ManifestCodec.sign(KEYS, Instant.EPOCH, "h", keys, "{}".getBytes());
        byte[] shorter = java.util.Arrays.copyOf(enc, Math.max(0, enc.length - cut));
        assertThatThrownBy(() -> ManifestCodec.parse(null, shorter)).isInstanceOf(ManifestRejectedException.class);
    }

    @Example
    void trailingBytesAreRejected() {
        byte[] enc = ManifestCodec.sign(KEYS, Instant.EPOCH, "h", List.of(), "{}".getBytes());
        byte[] longer = java.util.Arrays.copyOf(enc, enc.length + 1);
        assertThatThrownBy(() -> ManifestCodec.parse(null, longer)).hasMessageContaining("trailing");
    }

    @Example
    void untrustedSignerIsRejected() throws Exception {
        HostKeys other = HostKeys.ephemeral();
        byte[] enc = ManifestCodec.sign(other, Instant.EPOCH, "elsewhere", List.of(), "{}".getBytes());
        assertThatThrownBy(() -> ManifestCodec.verify(null, enc, TRUST)).hasMessageContaining("untrusted key " + other.keyId());
        // but trusted once configured
        ManifestCodec.parse(null, enc);
        assertThat(TRUST.with(other.publicKey()).keyIds()).contains(other.keyId());
    }

    @Example
    void unknownMajorVersionIsRejectedByName() {
        byte[] enc = ManifestCodec.sign(KEYS, Instant.EPOCH, "h", List.of(), "{}".getBytes());
        ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN).putShort(8, (short) 7);
        assertThatThrownBy(() -> ManifestCodec.parse(null, enc)).hasMessageContaining("unsupported manifest format 7.0");
    }

    @Example
    void oversizedLengthFieldsAreRejectedBeforeAllocating() {
        byte[] enc = ManifestCodec.sign(KEYS, Instant.EPOCH, "h", List.of(), "{}".getBytes());
        // chunk count right after magic(8) version(4) time(12) hostLen(2) host(1)
        ByteBuffer.wrap(enc).order(ByteOrder.LITTLE_ENDIAN).putInt(27, Integer.MAX_VALUE);
        assertThatThrownBy(() -> ManifestCodec.parse(null, enc)).hasMessageContaining("chunk count");
    }
}
