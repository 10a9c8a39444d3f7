// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import io.cryostash.store.Hashing;
import io.cryostash.store.ManifestRejectedException;
import io.cryostash.schema.store.ChunkKey;
import io.cryostash.schema.store.FormatVersion;
import io.cryostash.schema.store.SignedManifest;
import io.cryostash.schema.store.StoreFormat;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * Encodes, signs, parses and verifies the signed manifest envelope ({@link SignedManifest}).
 *
 * <pre>
 * manifest := magic "CRYOMANI"[8] major:u16 minor:u16 createdSeconds:i64 createdNanos:i32
 *             hostLen:u16 host[hostLen] (UTF-8)
 *             chunkCount:u32 key[32]{chunkCount}        sorted, no duplicates: chunks named directly
 *             tableCount:u32 key[32]{tableCount}        sorted, no duplicates: chunk tables, each naming more chunks
 *             payloadLen:u32 payload[payloadLen]        the process-image manifest (JSON)
 *             signerKeyLen:u16 signerKey[signerKeyLen]  X.509 Ed25519 public key
 *             signatureLen:u16 signature[signatureLen]  Ed25519 over every byte before signatureLen
 * </pre>
 * Little-endian. The image id is the hex SHA-256 of the whole encoding and the object is stored
 * as {@code manifests/<id>}. Parsing is strict — unknown major, lengths beyond the limits of
 * {@link StoreFormat} or the input, unsorted keys, bad UTF-8 or trailing bytes are all
 * rejected — so that hostile input fails before it costs memory or reaches the payload parser.
 */
public final class ManifestCodec {
    private static final byte[] MAGIC = "CRYOMANI".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_HOST = 255;

    private ManifestCodec() {
    }

    /** Encodes and signs a manifest without chunk tables. */
    public static byte[] sign(HostKeys keys, Instant created, String host, Collection<ChunkKey> chunks, byte[] payload) {
        return sign(keys, created, host, chunks, List.of(), payload);
    }

    /** Encodes and signs a manifest; {@code chunks} and {@code tables} may be unsorted and contain duplicates. */
    public static byte[] sign(HostKeys keys, Instant created, String host, Collection<ChunkKey> chunks,
                              Collection<ChunkKey> tables, byte[] payload) {
        TreeSet<ChunkKey> sorted = new TreeSet<>(chunks);
        TreeSet<ChunkKey> sortedTables = new TreeSet<>(tables);
        byte[] hostBytes = host.getBytes(StandardCharsets.UTF_8);
        if (hostBytes.length > MAX_HOST) {
            throw new IllegalArgumentException("host name longer than " + MAX_HOST + " bytes");
        }
        if (payload.length > StoreFormat.MAX_PAYLOAD_SIZE || sorted.size() > StoreFormat.MAX_MANIFEST_CHUNKS
                || sortedTables.size() > StoreFormat.MAX_MANIFEST_CHUNKS) {
            throw new IllegalArgumentException("manifest too large: " + payload.length + " bytes of payload, "
                    + sorted.size() + " chunks, " + sortedTables.size() + " tables");
        }
        byte[] pub = keys.publicKey().getEncoded();
        int size = MAGIC.length + 4 + 12 + 2 + hostBytes.length + 4 + sorted.size() * ChunkKey.LENGTH
                + 4 + sortedTables.size() * ChunkKey.LENGTH + 4 + payload.length + 2 + pub.length + 2 + 64;
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC);
        b.putShort((short) StoreFormat.MANIFEST_VERSION.major());
        b.putShort((short) StoreFormat.MANIFEST_VERSION.minor());
        b.putLong(created.getEpochSecond());
        b.putInt(created.getNano());
        b.putShort((short) hostBytes.length);
        b.put(hostBytes);
        b.putInt(sorted.size());
        for (ChunkKey k : sorted) {
            k.write(b);
        }
        b.putInt(sortedTables.size());
        for (ChunkKey k : sortedTables) {
            k.write(b);
        }
        b.putInt(payload.length);
        b.put(payload);
        b.putShort((short) pub.length);
        b.put(pub);
        byte[] sig = keys.sign(b.array(), 0, b.position());
        if (sig.length != 64) {
            throw new IllegalStateException("unexpected Ed25519 signature length " + sig.length);
        }
        b.putShort((short) sig.length);
        b.put(sig);
        return b.array();
    }

    /** The image id of an encoded manifest. */
    public static String imageId(byte[] encoded) {
        return Hashing.hex(Hashing.sha256(encoded));
    }

    /**
     * Parses and verifies: the structure, the name ({@code id}, when not null, must be the
     * content hash), the signer being trusted, and the signature.
     */
    public static SignedManifest verify(String id, byte[] data, TrustedKeys trusted) throws ManifestRejectedException {
        String name = id == null ? imageId(data) : id;
        if (id != null && !id.equals(imageId(data))) {
            throw new ManifestRejectedException(name, "content does not match its id (altered or damaged)");
        }
        Parsed p = parseInternal(name, data);
        PublicKey key = trusted.find(p.manifest.signerKey());
        if (key == null) {
            throw new ManifestRejectedException(name, "signed by untrusted key " + Signatures.keyId(p.manifest.signerKey()));
        }
        if (!Signatures.verify(key, data, 0, p.signedLength, p.manifest.signature())) {
            throw new ManifestRejectedException(name, "signature does not verify");
        }
        return p.manifest;
    }

    /**
     * Parses the structure only, trusting nobody and checking no signature: for garbage
     * collection, which must keep the chunks of every image, even of hosts it does not trust.
     */
    public static SignedManifest parse(String id, byte[] data) throws ManifestRejectedException {
        return parseInternal(id == null ? imageId(data) : id, data).manifest;
    }

    /** Id of the key that signed a manifest. */
    public static String signerKeyId(SignedManifest m) {
        return Signatures.keyId(m.signerKey());
    }

    private record Parsed(SignedManifest manifest, int signedLength) {
    }

    private static Parsed parseInternal(String id, byte[] data) throws ManifestRejectedException {
        if (data.length > StoreFormat.MAX_MANIFEST_SIZE) {
            throw new ManifestRejectedException(id, "larger than " + StoreFormat.MAX_MANIFEST_SIZE + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new ManifestRejectedException(id, "not a Cryostash manifest (bad magic)");
            }
            FormatVersion v = new FormatVersion(Short.toUnsignedInt(b.getShort()), Short.toUnsignedInt(b.getShort()));
            if (!StoreFormat.MANIFEST_VERSION.canRead(v)) {
                throw new ManifestRejectedException(id, "unsupported manifest format " + v + " (this reader knows "
                        + StoreFormat.MANIFEST_VERSION.major() + ".x)");
            }
            long secs = b.getLong();
            int nanos = b.getInt();
            if (nanos < 0 || nanos > 999_999_999 || secs < 0 || secs > 253_402_300_799L) {
                throw new ManifestRejectedException(id, "impossible creation time");
            }
            int hostLen = Short.toUnsignedInt(b.getShort());
            if (hostLen > MAX_HOST || hostLen > b.remaining()) {
                throw new ManifestRejectedException(id, "host name length " + hostLen + " out of range");
            }
            byte[] hostBytes = new byte[hostLen];
            b.get(hostBytes);
            String host = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(hostBytes)).toString();
            List<ChunkKey> keys = readKeys(id, b, "chunk");
            List<ChunkKey> tables = readKeys(id, b, "table");
            long payloadLen = Integer.toUnsignedLong(b.getInt());
            if (payloadLen > StoreFormat.MAX_PAYLOAD_SIZE || payloadLen > b.remaining()) {
                throw new ManifestRejectedException(id, "payload length " + payloadLen + " out of range");
            }
            byte[] payload = new byte[(int) payloadLen];
            b.get(payload);
            int keyLen = Short.toUnsignedInt(b.getShort());
            if (keyLen > 128 || keyLen > b.remaining()) {
                throw new ManifestRejectedException(id, "signer key length " + keyLen + " out of range");
            }
            byte[] signer = new byte[keyLen];
            b.get(signer);
            int signedLength = b.position();
            int sigLen = Short.toUnsignedInt(b.getShort());
            if (sigLen != 64 || sigLen > b.remaining()) {
                throw new ManifestRejectedException(id, "signature length " + sigLen + " is not 64");
            }
            byte[] sig = new byte[sigLen];
            b.get(sig);
            if (b.hasRemaining()) {
                throw new ManifestRejectedException(id, b.remaining() + " trailing bytes");
            }
            return new Parsed(new SignedManifest(v, Instant.ofEpochSecond(secs, nanos), host, keys, tables, payload, signer, sig),
                    signedLength);
        } catch (BufferUnderflowException e) {
            throw new ManifestRejectedException(id, "truncated");
        } catch (CharacterCodingException e) {
            throw new ManifestRejectedException(id, "host name is not UTF-8");
        }
    }

    private static List<ChunkKey> readKeys(String id, ByteBuffer b, String what) throws ManifestRejectedException {
        long count = Integer.toUnsignedLong(b.getInt());
        if (count > StoreFormat.MAX_MANIFEST_CHUNKS || count * ChunkKey.LENGTH > b.remaining()) {
            throw new ManifestRejectedException(id, what + " count " + count + " out of range");
        }
        List<ChunkKey> keys = new ArrayList<>((int) count);
        ChunkKey prev = null;
        for (long i = 0; i < count; i++) {
            ChunkKey k = ChunkKey.read(b);
            if (prev != null && prev.compareTo(k) >= 0) {
                throw new ManifestRejectedException(id, what + " list is not sorted or has duplicates");
            }
            keys.add(k);
            prev = k;
        }
        return keys;
    }
}
