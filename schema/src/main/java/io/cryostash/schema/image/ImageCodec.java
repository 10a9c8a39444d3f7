package io.cryostash.schema.image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * JSON form of {@link ProcessImage}, and the checks every reader applies before trusting one:
 * known major version, sane sizes, areas that do not overlap, plain absolute paths.
 */
public final class ImageCodec {
    /** A manifest larger than this is refused unread: real ones are a few hundred KiB at most. */
    public static final int MAX_MANIFEST_BYTES = 64 << 20;
    private static final long TASK_SIZE = 0x00007ffffffff000L;
    private static final int MAX_AREAS = 1 << 20;

    private final ObjectMapper mapper = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    public byte[] encode(ProcessImage image) {
        try {
            return mapper.writeValueAsBytes(image);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode image " + image.id(), e);
        }
    }

    public ProcessImage decode(byte[] json) {
        if (json.length > MAX_MANIFEST_BYTES) {
            throw new InvalidImageException("manifest is " + json.length + " bytes, more than the limit of "
                    + MAX_MANIFEST_BYTES);
        }
        ProcessImage image;
        try {
            image = mapper.readValue(json, ProcessImage.class);
        } catch (IOException e) {
            throw new InvalidImageException("manifest is not valid JSON: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new InvalidImageException(e.getMessage());
        }
        try {
            validate(image);
        } catch (InvalidImageException e) {
            throw e;
        } catch (RuntimeException e) {
            // a shape the checks below do not expect (a null list entry, say) is still just a bad manifest
            throw new InvalidImageException("manifest is malformed (" + e + ")");
        }
        return image;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    public static void validate(ProcessImage image) {
        if (image == null) {
            throw new InvalidImageException("manifest is empty");
        }
        String v = image.formatVersion();
        if (v == null || !v.split("\\.")[0].equals(ProcessImage.FORMAT_VERSION.split("\\.")[0])) {
            throw new InvalidImageException("image format version " + v + " is not supported (this reader knows "
                    + ProcessImage.FORMAT_VERSION + ")");
        }
        if (image.id() != null && !image.id().matches("[A-Za-z0-9._-]{1,128}")) {
            throw new InvalidImageException("image id is malformed: " + image.id());
        }
        require(image.process() != null, "process section missing");
        require(image.mm() != null, "mm section missing");
        require(image.threads() != null && !image.threads().isEmpty(), "no threads");
        require(image.areas() != null && !image.areas().isEmpty(), "no memory areas");
        require(image.areas().size() <= MAX_AREAS, "too many memory areas: " + image.areas().size());
        List<MemoryArea> sorted = new ArrayList<>(image.areas());
        require(!image.areas().contains(null), "null memory area");
        sorted.sort(Comparator.comparingLong(MemoryArea::start));
        long prevEnd = 0;
        for (MemoryArea a : sorted) {
            require(a != null, "null memory area");
            require(a.perms() != null && a.perms().matches("[r-][w-][x-][ps]"), "bad permissions " + a.perms());
            require(a.kind() != null, "area without kind at " + Long.toHexString(a.start()));
            require((a.start() & 0xfff) == 0 && (a.end() & 0xfff) == 0 && a.start() < a.end()
                    && Long.compareUnsigned(a.end(), TASK_SIZE) <= 0,
                    "impossible area " + Long.toHexString(a.start()) + "-" + Long.toHexString(a.end()));
            require(a.start() >= prevEnd, "areas overlap at " + Long.toHexString(a.start()));
            prevEnd = a.end();
            if (a.kind() == MemoryArea.Kind.FILE_PRIVATE || a.kind() == MemoryArea.Kind.FILE_SHARED) {
                requirePlainPath(a.path());
            }
            if (a.content() != null) {
                // AreaChunks validated its own chunks against its bounds when it was decoded
                require(a.content().start() == a.start() && a.content().length() == a.length(),
                        "stored pages outside their area at " + Long.toHexString(a.start()));
            }
        }
        if (image.fds() != null) {
            for (FdEntry fd : image.fds()) {
                require(fd.fd() >= 0 && fd.fd() < (1 << 20), "bad descriptor number " + fd.fd());
                if (fd.reopenable()) {
                    requirePlainPath(fd.target());
                }
            }
        }
        if (image.mm().exePath() != null) {
            requirePlainPath(image.mm().exePath());
        }
        if (image.fs() != null) {
            requirePlainPath(image.fs().cwd());
            requirePlainPath(image.fs().root());
        }
    }

    /** Absolute, normalised, no NUL, no "." or ".." components: nothing a path trick can bend. */
    public static void requirePlainPath(String path) {
        require(path != null && path.startsWith("/") && path.indexOf('\0') < 0 && path.length() < 4096,
                "not a plain absolute path: " + path);
        for (String part : path.split("/")) {
            require(!part.equals(".") && !part.equals(".."), "path with . or .. components: " + path);
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new InvalidImageException(message);
        }
    }
}
