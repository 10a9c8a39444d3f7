// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;

/**
 * JSON form of {@link ProcessImage}, and the checks every reader applies before trusting one:
 * known major version, sane sizes, areas that do not overlap, plain absolute paths.
 *
 * <p>In the store, an area's chunk list is not written inline but as chunk tables
 * ({@link AreaTable}): {@link #encode(ProcessImage, TableWriter)} hands the lists to the store
 * and writes the tables' keys instead, {@link #decode(byte[], TableResolver)} asks the store for
 * them back. The plain forms keep lists inline and refuse a manifest that names tables, so a
 * reader without the store can never mistake an area for one without stored pages.
 */
public final class ImageCodec {
    /** A manifest larger than this is refused unread: real ones are a few hundred KiB at most. */
    public static final int MAX_MANIFEST_BYTES = 64 << 20;
    private static final long TASK_SIZE = 0x00007ffffffff000L;
    private static final int MAX_AREAS = 1 << 20;
    /** More threads than the kernel's default threads-max per process would allow on a large host. */
    public static final int MAX_THREADS = 1 << 16;
    private static final int MAX_PENDING = 1 << 16;
    private static final int PID_MAX_LIMIT = 1 << 22;
    /** Capture reads a segment whole during the freeze and refuses larger ones. */
    public static final long MAX_SYSV_SEGMENT = 1L << 30;
    /** Messages travel inline in the manifest. */
    public static final long MAX_SYSV_MESSAGE_BYTES = 16L << 20;
    /** The kernel's SEMMSL ceiling and SEMVMX. */
    private static final int MAX_SEMAPHORES = 32000;
    private static final int SEMVMX = 32767;
    /** Processes in one tree: far more than a job's tree has, few enough to bound a restore. */
    static final int MAX_TREE_MEMBERS = 4096;

    /**
     * One for the JVM, configured here and never again (so no mutable state is shared): Jackson
     * learns the image's records (reflection over every component, per mapper) the first time
     * it meets them, tens of milliseconds that a new mapper per store opened made every command
     * of {@code cryostash daemon} and every request of an agent pay again.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);


    /** Stores areas' chunk lists as tables; answers, per area start, the table naming each list. */
    @FunctionalInterface
    public interface TableWriter {
        Map<Long, AreaTable> write(Map<Long, AreaChunks> contents);
    }

    /** Reads tables back; answers, per area start, the chunk list each names (verified by the store). */
    @FunctionalInterface
    public interface TableResolver {
        Map<Long, AreaChunks> resolve(Map<Long, AreaTable> tables);
    }

    private static final TableResolver NO_TABLES = tables -> {
        throw new InvalidImageException("manifest names chunk tables for " + tables.size()
                + " memory areas: read it through the image store, which resolves and verifies them");
    };

    /** JSON with every chunk list inline. */
    public byte[] encode(ProcessImage image) {
        try {
            return MAPPER.writeValueAsBytes(image);
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode image " + image.id(), e);
        }
    }

    /**
     * JSON in which each area with stored pages names the chunk tables {@code tables} wrote for it;
     * a tree's members' areas too ({@code tables} is asked once per process of the tree).
     */
    public byte[] encode(ProcessImage image, TableWriter tables) {
        try {
            return MAPPER.writeValueAsBytes(encodeNode(image, tables));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode image " + image.id(), e);
        }
    }

    private ObjectNode encodeNode(ProcessImage image, TableWriter tables) {
        Map<Long, AreaChunks> contents = new LinkedHashMap<>();
        List<MemoryArea> stripped = new ArrayList<>(image.areas().size());
        for (MemoryArea a : image.areas()) {
            if (a.content() != null && !a.content().chunks().isEmpty()) {
                contents.put(a.start(), a.content());
            }
            stripped.add(a.withContent(null));
        }
        Map<Long, AreaTable> written = contents.isEmpty() ? Map.of() : tables.write(contents);
        ObjectNode tree = MAPPER.valueToTree(image.withAreas(stripped).withTree(null));
        ArrayNode areas = (ArrayNode) tree.get("areas");
        for (int i = 0; i < stripped.size(); i++) {
            MemoryArea a = stripped.get(i);
            if (contents.containsKey(a.start())) {
                AreaTable t = written.get(a.start());
                if (t == null || t.start() != a.start() || t.length() != a.length()) {
                    throw new IllegalStateException("no chunk table written for the area at " + Long.toHexString(a.start()));
                }
                ((ObjectNode) areas.get(i)).set("table", MAPPER.valueToTree(t));
            }
        }
        if (image.tree() != null) {
            ArrayNode members = MAPPER.createArrayNode();
            for (TreeMember m : image.tree().members()) {
                ObjectNode node = MAPPER.valueToTree(m.withImage(null));
                if (m.image() != null) {
                    node.set("image", encodeNode(m.image(), tables));
                }
                members.add(node);
            }
            tree.putObject("tree").set("members", members);
        }
        return tree;
    }

    /** Decodes a manifest with inline chunk lists; one naming chunk tables is refused. */
    public ProcessImage decode(byte[] json) {
        return decode(json, NO_TABLES);
    }

    /** Decodes and validates a manifest, resolving the chunk tables it names through {@code tables}. */
    public ProcessImage decode(byte[] json, TableResolver tables) {
        if (json.length > MAX_MANIFEST_BYTES) {
            throw new InvalidImageException("manifest is " + json.length + " bytes, more than the limit of "
                    + MAX_MANIFEST_BYTES);
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new InvalidImageException("manifest is not valid JSON: " + e.getMessage());
        }
        return decodeNode(tree, tables, true);
    }

    /** One process's manifest; with {@code root}, its tree's members too (they have none of their own). */
    private ProcessImage decodeNode(JsonNode tree, TableResolver tables, boolean root) {
        ProcessImage image;
        Map<Long, AreaTable> named = new LinkedHashMap<>();
        JsonNode members = null;
        try {
            require(tree != null && tree.isObject(), "manifest is not a JSON object");
            JsonNode areas = tree.get("areas");
            if (areas != null && areas.isArray()) {
                for (JsonNode area : areas) {
                    JsonNode table = area.get("table");
                    if (table != null && !table.isNull()) {
                        AreaTable t = MAPPER.treeToValue(table, AreaTable.class);
                        require(area.path("start").asLong() == t.start() && named.put(t.start(), t) == null,
                                "chunk table of the area at " + Long.toHexString(t.start()) + " does not match its area");
                        require(area.get("content") == null || area.get("content").isNull(),
                                "area at " + Long.toHexString(t.start()) + " has both a chunk table and inline chunks");
                        ((ObjectNode) area).remove("table");
                    }
                }
            }
            JsonNode t = ((ObjectNode) tree).remove("tree");
            if (t != null && !t.isNull()) {
                require(root, "a member of a process tree has a tree of its own");
                members = t.get("members");
                require(members != null && members.isArray(), "process tree without a list of members");
            }
            image = MAPPER.treeToValue(tree, ProcessImage.class);
        } catch (IOException e) {
            throw new InvalidImageException("manifest is not valid JSON: " + e.getMessage());
        } catch (IllegalArgumentException | ClassCastException e) {
            throw new InvalidImageException(e.getMessage());
        }
        validateSafely(image);
        if (!named.isEmpty()) {
            Map<Long, AreaChunks> resolved = tables.resolve(named);
            List<MemoryArea> areas = new ArrayList<>(image.areas().size());
            for (MemoryArea a : image.areas()) {
                AreaChunks c = named.containsKey(a.start()) ? resolved.get(a.start()) : a.content();
                require(!named.containsKey(a.start()) || c != null,
                        "chunk table of the area at " + Long.toHexString(a.start()) + " was not resolved");
                areas.add(a.withContent(c));
            }
            image = image.withAreas(areas);
            validateSafely(image);
        }
        if (members != null) {
            require(members.size() <= MAX_TREE_MEMBERS, "too many processes in the tree: " + members.size());
            List<TreeMember> out = new ArrayList<>(members.size());
            for (JsonNode m : members) {
                require(m != null && m.isObject(), "malformed member of the process tree");
                JsonNode memberImage = ((ObjectNode) m).remove("image");
                TreeMember member;
                try {
                    member = MAPPER.treeToValue(m, TreeMember.class);
                } catch (IOException | IllegalArgumentException e) {
                    throw new InvalidImageException("malformed member of the process tree: " + e.getMessage());
                }
                if (memberImage != null && !memberImage.isNull()) {
                    member = member.withImage(decodeNode(memberImage, tables, false));
                }
                out.add(member);
            }
            image = image.withTree(new ProcessTree(out));
            ProcessTrees.validate(image);
        }
        return image;
    }

    private static void validateSafely(ProcessImage image) {
        try {
            validate(image);
        } catch (InvalidImageException e) {
            throw e;
        } catch (RuntimeException e) {
            // a shape the checks below do not expect (a null list entry, say) is still just a bad manifest
            throw new InvalidImageException("manifest is malformed (" + e + ")");
        }
    }

    /** The shared mapper: read and write with it, never reconfigure it (copy() it for other settings). */
    public ObjectMapper mapper() {
        return MAPPER;
    }

    public static void validate(ProcessImage image) {
        if (image == null) {
            throw new InvalidImageException("manifest is empty");
        }
        String v = image.formatVersion();
        int major = majorOf(v);
        int current = majorOf(ProcessImage.FORMAT_VERSION);
        if (major > current) {
            throw new InvalidImageException("image format version " + v + " is newer than this Cryostash reads ("
                    + ProcessImage.OLDEST_READABLE_MAJOR + ".x to " + ProcessImage.FORMAT_VERSION
                    + "): read it with the newer Cryostash that wrote it");
        }
        if (major < ProcessImage.OLDEST_READABLE_MAJOR) {
            throw new InvalidImageException("image format version " + v + " is not supported (this reader knows "
                    + ProcessImage.OLDEST_READABLE_MAJOR + ".x to " + ProcessImage.FORMAT_VERSION + ")");
        }
        if (image.id() != null && !image.id().matches("[A-Za-z0-9._-]{1,128}")) {
            throw new InvalidImageException("image id is malformed: " + image.id());
        }
        require(image.process() != null, "process section missing");
        require(image.mm() != null, "mm section missing");
        require(image.threads() != null && !image.threads().isEmpty(), "no threads");
        validateThreads(image);
        require(image.areas() != null && !image.areas().isEmpty(), "no memory areas");
        ImageConsistency.sections(image);
        require(image.areas().size() <= MAX_AREAS, "too many memory areas: " + image.areas().size());
        List<MemoryArea> sorted = new ArrayList<>(image.areas());
        require(image.areas().stream().noneMatch(java.util.Objects::isNull), "null memory area"); // List.of().contains(null) throws
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
            requireSettings(a);
            if (a.content() != null) {
                // AreaChunks validated its own chunks against its bounds when it was decoded
                require(a.content().start() == a.start() && a.content().length() == a.length(),
                        "stored pages outside their area at " + Long.toHexString(a.start()));
            }
        }
        if (image.fds() != null) {
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (FdEntry fd : image.fds()) {
                require(fd != null && fd.kind() != null, "descriptor without kind");
                require(fd.fd() >= 0 && fd.fd() < (1 << 20), "bad descriptor number " + fd.fd());
                require(seen.add(fd.fd()), "descriptor " + fd.fd() + " listed twice");
                require(fd.target() != null && fd.target().indexOf('\0') < 0 && fd.target().length() < 4200,
                        "descriptor " + fd.fd() + " has a malformed target");
                if (fd.reopenable() || fd.kind() == FdEntry.Kind.FIFO) {
                    requirePlainPath(fd.target());
                }
                require(fd.dupOf() == null || (fd.dupOf() < fd.fd() && seen.contains(fd.dupOf())),
                        "descriptor " + fd.fd() + " duplicates " + fd.dupOf() + ", which is not a lower descriptor"
                        + " listed before it");
                FdFiles.check(fd);
            }
        }
        validateSysvIpc(image);
        if (image.mm().exePath() != null) {
            requirePlainPath(image.mm().exePath());
        }
        if (image.files() != null) {
            require(image.files().size() <= MAX_AREAS, "too many files: " + image.files().size());
            for (FileFingerprint f : image.files()) {
                require(f != null, "null file entry");
                requirePlainPath(f.path()); // restore opens it and compares it with the stored copy
            }
        }
        if (image.fs() != null) {
            requirePlainPath(image.fs().cwd());
            requirePlainPath(image.fs().root());
        }
        ImageConsistency.check(image);
    }

    /** The major number of "major.minor", or -1 for anything else. */
    /** Settings the kernel could never have shown together, or on such an area. */
    private static void requireSettings(MemoryArea a) {
        String at = " at " + Long.toHexString(a.start());
        require(!(a.has(MemoryArea.Setting.HUGEPAGE) && a.has(MemoryArea.Setting.NOHUGEPAGE)),
                "an area both wants and refuses huge pages" + at);
        require(!(a.has(MemoryArea.Setting.RANDOM) && a.has(MemoryArea.Setting.SEQUENTIAL)),
                "an area read both randomly and sequentially" + at);
        require(!(a.has(MemoryArea.Setting.LOCKED) && a.has(MemoryArea.Setting.LOCKED_ON_FAULT)),
                "an area locked both at once and on fault" + at);
        require(!a.has(MemoryArea.Setting.WIPEONFORK) || a.kind() == MemoryArea.Kind.ANONYMOUS,
                "wipe-on-fork on an area that is not private anonymous memory" + at);
        require(!a.has(MemoryArea.Setting.GROWSDOWN) || a.kind() == MemoryArea.Kind.ANONYMOUS,
                "a growing-down area that is not private anonymous memory" + at);
    }

    private static int majorOf(String version) {
        if (version == null || !version.matches("[0-9]{1,4}\\.[0-9]{1,4}")) {
            return -1;
        }
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    /** Restore creates a thread per entry with that tid and queues every signal named: bound both. */
    private static void validateThreads(ProcessImage image) {
        require(image.threads().size() <= MAX_THREADS, "too many threads: " + image.threads().size());
        Set<Integer> tids = new HashSet<>();
        int pending = image.sharedPendingSignals().size();
        for (ThreadState t : image.threads()) {
            require(t != null, "null thread");
            require(t.tid() > 0 && t.tid() < PID_MAX_LIMIT, "impossible thread id " + t.tid());
            require(tids.add(t.tid()), "thread id " + t.tid() + " appears twice");
            require(t.regs() != null && t.xstate() != null, "thread " + t.tid() + " has no registers");
            require(t.name() == null || (t.name().length() < 64 && t.name().indexOf('\0') < 0),
                    "thread " + t.tid() + " has a malformed name");
            t.pendingSignals().forEach(p -> validateSignal(p, "thread " + t.tid()));
            pending += t.pendingSignals().size();
        }
        require(pending <= MAX_PENDING, "too many queued signals: " + pending);
        for (ProcessTimers.PosixTimer p : image.timers().posixTimers()) {
            require(p != null, "null POSIX timer");
            // what timer_create accepts: SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD or SIGEV_SIGNAL | SIGEV_THREAD_ID
            require(p.notifyHow() >= 0 && p.notifyHow() <= ProcessTimers.PosixTimer.SIGEV_THREAD_ID
                    && p.notifyHow() != 3, "POSIX timer " + p.id() + " notifies by " + p.notifyHow()
                    + ", which timer_create does not take");
            // restore aims the timer at this tid: only at a thread it creates itself
            require(p.targetTid() == 0 || (p.signalsOneThread() && tids.contains(p.targetTid())),
                    "POSIX timer " + p.id() + " signals thread " + p.targetTid() + ", which is not a thread of"
                    + " the image" + (p.signalsOneThread() ? "" : " (and it is not a SIGEV_THREAD_ID timer)"));
        }
        image.sharedPendingSignals().forEach(p -> validateSignal(p, "the process"));
    }

    /**
     * Restore creates every object with the id and size named here and attaches segments at the
     * addresses named: ids unique per kind, sizes within what a kernel accepts, every attached
     * area inside an attachment of a segment of the image.
     */
    private static void validateSysvIpc(ProcessImage image) {
        SysvIpcState ipc = image.sysvIpc();
        Set<Integer> ids = new HashSet<>();
        List<long[]> attachments = new ArrayList<>();
        for (SysvIpcState.SharedSegment s : ipc.segments()) {
            require(s != null && s.id() >= 0 && ids.add(s.id()), "SysV segment listed twice or malformed");
            require(s.size() > 0 && s.size() <= MAX_SYSV_SEGMENT && (s.mode() & ~0777) == 0,
                    "SysV segment " + s.id() + " has an impossible size or mode");
            long span = (s.size() + 4095) & ~4095L;
            for (Long at : s.attachedAt()) {
                require(at != null && (at & 0xfff) == 0 && at > 0 && at + span <= TASK_SIZE,
                        "SysV segment " + s.id() + " is attached at an impossible address");
                attachments.add(new long[] {at, at + span});
            }
        }
        for (MemoryArea a : image.areas()) {
            if (a.kind() == MemoryArea.Kind.SYSV_SHM) {
                require(attachments.stream().anyMatch(r -> r[0] <= a.start() && a.end() <= r[1]),
                        "area at " + Long.toHexString(a.start()) + " is a SysV attachment of no segment in the image");
            }
        }
        ids.clear();
        for (SysvIpcState.SemaphoreSet s : ipc.semaphoreSets()) {
            require(s != null && s.id() >= 0 && ids.add(s.id()) && (s.mode() & ~0777) == 0,
                    "SysV semaphore set listed twice or malformed");
            require(!s.values().isEmpty() && s.values().size() <= MAX_SEMAPHORES
                    && s.values().stream().allMatch(v -> v != null && v >= 0 && v <= SEMVMX),
                    "SysV semaphore set " + s.id() + " has an impossible count or value");
        }
        ids.clear();
        long queued = 0;
        for (SysvIpcState.MessageQueue q : ipc.queues()) {
            require(q != null && q.id() >= 0 && ids.add(q.id()) && (q.mode() & ~0777) == 0 && q.maxBytes() >= 0,
                    "SysV message queue listed twice or malformed");
            for (SysvIpcState.QueuedMessage m : q.messages()) {
                require(m != null && m.type() > 0 && m.text() != null, "SysV message queue " + q.id()
                        + " holds a malformed message");
                queued += m.text().length + 8;
            }
        }
        require(queued <= MAX_SYSV_MESSAGE_BYTES, "SysV message queues hold more than " + MAX_SYSV_MESSAGE_BYTES
                + " bytes");
    }

    private static void validateSignal(PendingSignal p, String whose) {
        require(p != null && p.signal() >= 1 && p.signal() <= 64 && p.siginfo() != null
                && p.siginfo().length == PendingSignal.SIGINFO_BYTES, "malformed queued signal of " + whose);
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
