// SPDX-License-Identifier: Apache-2.0
package io.cryostash.store.sign;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * This host's Ed25519 key pair, which signs the manifests it captures.
 *
 * <p>Created on first use in the key directory: {@code host-ed25519.key} (mode 0600, holding the
 * PKCS#8 private key and the X.509 public key, one base64 line each — the JDK cannot derive an
 * Ed25519 public key from the private one) and {@code host-ed25519.pub} (the public key alone,
 * to hand to other hosts' trust lists). The private file is created with its final mode and
 * moved into place atomically, so a concurrent first use on the same host ends with one key,
 * and a private key file readable by group or others is refused, as ssh does.
 */
public final class HostKeys {
    public static final String PRIVATE_FILE = "host-ed25519.key";
    public static final String PUBLIC_FILE = "host-ed25519.pub";
    private static final Set<PosixFilePermission> OWNER_RW = EnumSet.of(PosixFilePermission.OWNER_READ,
            PosixFilePermission.OWNER_WRITE);

    private final PrivateKey privateKey;
    private final PublicKey publicKey;

    private HostKeys(PrivateKey privateKey, PublicKey publicKey) {
        this.privateKey = privateKey;
        this.publicKey = publicKey;
    }

    /** Loads the key pair from {@code dir}, creating it (and the directory, 0700) when absent. */
    public static HostKeys loadOrCreate(Path dir) throws IOException {
        Path priv = dir.resolve(PRIVATE_FILE);
        if (!Files.exists(priv)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(EnumSet.of(PosixFilePermission.OWNER_READ,
                    PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE)));
            KeyPair kp = generate();
            String text = b64(kp.getPrivate().getEncoded()) + "\n" + b64(kp.getPublic().getEncoded()) + "\n";
            Path tmp = dir.resolve("." + PRIVATE_FILE + "." + UUID.randomUUID());
            try {
                Files.write(Files.createFile(tmp, PosixFilePermissions.asFileAttribute(OWNER_RW)),
                        text.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
                try {
                    // link(2) never replaces an existing file (rename(2), even without
                    // REPLACE_EXISTING, silently would): the first writer's key wins for everyone
                    Files.createLink(priv, tmp);
                } catch (FileAlreadyExistsException ignored) {
                    // fall through and load the winner's key
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        HostKeys keys = load(priv);
        Path pub = dir.resolve(PUBLIC_FILE);
        if (!Files.exists(pub)) {
            writePublicKey(pub, keys.publicKey);
        }
        return keys;
    }

    /** Loads a private key file, refusing one that others could read. */
    public static HostKeys load(Path privateFile) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(privateFile);
        if (!OWNER_RW.containsAll(perms)) {
            throw new IOException("private key " + privateFile + " is accessible by others ("
                    + PosixFilePermissions.toString(perms) + "); chmod 600 it");
        }
        List<String> lines = Files.readAllLines(privateFile, StandardCharsets.US_ASCII);
        if (lines.size() < 2) {
            throw new IOException("private key file " + privateFile + " is damaged");
        }
        try {
            KeyFactory f = KeyFactory.getInstance("Ed25519");
            PrivateKey priv = f.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(lines.get(0).trim())));
            PublicKey pub = f.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(lines.get(1).trim())));
            HostKeys k = new HostKeys(priv, pub);
            k.checkPair();
            return k;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException("private key file " + privateFile + " is damaged: " + e.getMessage(), e);
        }
    }

    /** A key pair that lives only in memory (tests, one-off tools). */
    public static HostKeys ephemeral() {
        KeyPair kp = generate();
        return new HostKeys(kp.getPrivate(), kp.getPublic());
    }

    private static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("JDK without Ed25519", e);
        }
    }

    private void checkPair() throws GeneralSecurityException {
        byte[] probe = "cryostash key pair check".getBytes(StandardCharsets.US_ASCII);
        if (!Signatures.verify(publicKey, probe, sign(probe))) {
            throw new GeneralSecurityException("public key does not match private key");
        }
    }

    static void writePublicKey(Path file, PublicKey key) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID());
        Files.writeString(tmp, b64(key.getEncoded()) + "\n");
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    /** Signs {@code data} with this host's private key. */
    public byte[] sign(byte[] data) {
        return sign(data, 0, data.length);
    }

    public byte[] sign(byte[] data, int off, int len) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(privateKey);
            s.update(data, off, len);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    public PublicKey publicKey() {
        return publicKey;
    }

    /** Short id of the public key: the first 16 hex characters of SHA-256 of its X.509 encoding. */
    public String keyId() {
        return Signatures.keyId(publicKey.getEncoded());
    }
}
