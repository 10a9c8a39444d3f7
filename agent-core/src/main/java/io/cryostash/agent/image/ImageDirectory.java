package io.cryostash.agent.image;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.InvalidImageException;
import io.cryostash.schema.image.ProcessImage;

/**
 * A store of images kept as plain directories: {@code images/<id>/manifest.json} and
 * {@code images/<id>/memory.bin}. An image is built in a hidden temporary directory, fsynced,
 * and renamed into place with its manifest, so an interrupted capture leaves no visible image.
 */
public final class ImageDirectory {
    public static final String MANIFEST = "manifest.json";
    public static final String MEMORY = "memory.bin";
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path root;
    private final ImageCodec codec = new ImageCodec();
    private final SecureRandom random = new SecureRandom();

    public ImageDirectory(Path root) {
        this.root = root;
    }

    public static Path defaultRoot() {
        String env = System.getenv("CRYOSTASH_STORE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cryostash", "store");
    }

    public Path root() {
        return root;
    }

    public String newImageId() {
        byte[] r = new byte[4];
        random.nextBytes(r);
        return ZonedDateTime.now(ZoneOffset.UTC).format(ID_TIME) + "-" + HexFormat.of().formatHex(r);
    }

    /**
     * Writes an image: memory first, manifest last, then one rename makes it visible.
     * Everything is fsynced before this returns, so a caller may then kill the original.
     */
    public void write(ProcessImage image, List<ByteBuffer> memory) {
        Path images = root.resolve("images");
        Path tmp = images.resolve(".tmp-" + image.id());
        Path dst = images.resolve(image.id());
        try {
            Files.createDirectories(tmp);
            try (FileChannel ch = FileChannel.open(tmp.resolve(MEMORY), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                for (ByteBuffer b : memory) {
                    ByteBuffer d = b.duplicate();
                    while (d.hasRemaining()) {
                        ch.write(d);
                    }
                }
                ch.force(true);
            }
            try (FileChannel ch = FileChannel.open(tmp.resolve(MANIFEST), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(codec.encode(image)));
                ch.force(true);
            }
            fsyncDirectory(tmp);
            try {
                Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the store " + root + " does not support atomic renames", e);
            }
            fsyncDirectory(images);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write image " + image.id() + " to " + root + ": " + e.getMessage(), e);
        }
    }

    public ProcessImage readManifest(String id) {
        Path dir = imageDir(id);
        try {
            return codec.decode(Files.readAllBytes(dir.resolve(MANIFEST)));
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException(id, root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read image " + id + ": " + e.getMessage(), e);
        } catch (InvalidImageException e) {
            throw e;
        } catch (RuntimeException e) {
            // the validator trusts some shapes it should check (e.g. a null entry in a list)
            throw new InvalidImageException("manifest of image " + id + " is malformed (" + e + ")");
        }
    }

    /** The saved pages of an image. */
    public PageSource openPages(String id) {
        try {
            return new MemoryFilePages(FileChannel.open(imageDir(id).resolve(MEMORY), StandardOpenOption.READ), id);
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException(id, root);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public List<String> list() {
        List<String> out = new ArrayList<>();
        Path images = root.resolve("images");
        if (!Files.isDirectory(images)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(images)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!name.startsWith(".") && Files.exists(p.resolve(MANIFEST))) {
                    out.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        out.sort(String::compareTo);
        return out;
    }

    public long sizeOnDisk(String id) {
        try (var s = Files.list(imageDir(id))) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    private Path imageDir(String id) {
        if (id == null || !id.matches("[A-Za-z0-9._-]{1,128}") || id.startsWith(".")) {
            throw new ImageNotFoundException(String.valueOf(id), root);
        }
        return root.resolve("images").resolve(id);
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort: a leftover .tmp- directory is invisible to readers
        }
    }
}
