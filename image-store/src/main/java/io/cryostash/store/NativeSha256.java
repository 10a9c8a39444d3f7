// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store;

import java.nio.ByteBuffer;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * SHA-256 from the system's libcrypto (OpenSSL 3, with the CPU's SHA instructions), when it is
 * there. The JDK's SHA-256 uses those instructions only once the optimising compiler has
 * compiled it, after some megabytes of hashing; a command that runs once — every CLI command —
 * hashes its first megabytes in interpreted Java, tens of times slower. OpenSSL is fast from the
 * first byte and hashes direct buffers (captured memory) in place, where the JDK copies them
 * through a small array. Same function, same digests; without libcrypto the JDK's is used.
 */
final class NativeSha256 {
    /** Declared before AVAILABLE: load() makes an Incremental, which registers with it. */
    private static final java.lang.ref.Cleaner CLEANER = java.lang.ref.Cleaner.create();
    private static final boolean AVAILABLE = load();

    private NativeSha256() {
    }

    private static boolean load() {
        if (Boolean.getBoolean("cryostash.jdkSha256")) {
            return false;
        }
        try {
            Native.register(NativeSha256.class, NativeLibrary.getInstance("crypto"));
            byte[] md = new byte[32];
            SHA256(new byte[] {'a', 'b', 'c'}, 3, md);
            // FIPS 180-2 test vector: the library must agree with the JDK before it is trusted
            String abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
            Incremental inc = new Incremental();
            inc.update(new byte[] {'a'}, 0, 1);
            inc.update(new byte[] {'b', 'c'}, 0, 2);
            return Hashing.hex(md).equals(abc) && Hashing.hex(inc.digest()).equals(abc);
        } catch (Throwable unavailable) { // no libcrypto, no JNA native support: the JDK's then
            return false;
        }
    }

    static boolean available() {
        return AVAILABLE;
    }

    private static native Pointer SHA256(byte[] data, long length, byte[] digest);

    private static native Pointer EVP_MD_CTX_new();

    private static native void EVP_MD_CTX_free(Pointer ctx);

    private static native Pointer EVP_sha256();

    private static native int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

    private static native int EVP_DigestUpdate(Pointer ctx, byte[] data, long length);

    private static native int EVP_DigestUpdate(Pointer ctx, Pointer data, long length);

    private static native int EVP_DigestFinal_ex(Pointer ctx, byte[] digest, Pointer length);

    /**
     * SHA-256 over many pieces (a pack's frames), fed from arrays or direct buffers without
     * copying them. The OpenSSL context is freed by {@link #digest} or, if that never comes, when
     * the object is collected.
     */
    static final class Incremental {
        private final Pointer ctx;
        private final java.lang.ref.Cleaner.Cleanable freeing;

        Incremental() {
            Pointer c = EVP_MD_CTX_new();
            if (c == null || EVP_DigestInit_ex(c, EVP_sha256(), null) != 1) {
                throw new IllegalStateException("libcrypto could not start a SHA-256 digest");
            }
            this.ctx = c;
            this.freeing = CLEANER.register(this, () -> EVP_MD_CTX_free(c));
        }

        void update(byte[] data, int off, int len) {
            if (off != 0) {
                data = java.util.Arrays.copyOfRange(data, off, off + len);
            }
            EVP_DigestUpdate(ctx, data, len);
        }

        void update(ByteBuffer b) {
            if (b.isDirect()) {
                EVP_DigestUpdate(ctx, Native.getDirectBufferPointer(b).share(b.position()), b.remaining());
            } else {
                byte[] copy = new byte[b.remaining()];
                b.duplicate().get(copy);
                EVP_DigestUpdate(ctx, copy, copy.length);
            }
        }

        byte[] digest() {
            byte[] md = new byte[32];
            EVP_DigestFinal_ex(ctx, md, null);
            freeing.clean();
            return md;
        }
    }

    private static native Pointer SHA256(Pointer data, long length, byte[] digest);

    /** The digest of {@code data[0, length)}. */
    static byte[] digest(byte[] data, int length) {
        byte[] md = new byte[32];
        SHA256(data, length, md);
        return md;
    }

    /** The digest of a direct buffer's remaining bytes. */
    static byte[] digest(ByteBuffer direct) {
        byte[] md = new byte[32];
        Pointer p = Native.getDirectBufferPointer(direct);
        SHA256(p.share(direct.position()), direct.remaining(), md);
        return md;
    }
}
