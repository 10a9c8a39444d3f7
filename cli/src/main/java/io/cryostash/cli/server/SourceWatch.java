// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.server;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;

/**
 * Whether the checkout a daemon was built from has changed since its build: a source file under
 * a module's {@code src/main}, or a {@code pom.xml}. The launcher asks a running daemon first and
 * checks the checkout for staleness (a {@code find} over every source, 15–18 ms of a 25 ms
 * command) only when the daemon does not serve; so the daemon refuses, once this says so, to run
 * code older than the checkout. Watched with inotify (a {@link WatchService}), every directory
 * of the source trees registered, new ones as they appear; what changed before the watch began
 * is found by one look at every file's time when it starts.
 */
final class SourceWatch implements AutoCloseable {
    /** The modules whose sources the launcher checks (the cryostash script's list). */
    static final List<String> MODULES = List.of("schema", "image-store", "agent-core", "capture-agent", "restore-agent",
            "agent-daemon", "stack", "cli", "catalog-service");

    private final WatchService watch;
    private final Path root;
    private volatile String changed;

    private SourceWatch(Path root, FileTime built) throws IOException {
        this.root = root;
        this.watch = FileSystems.getDefault().newWatchService();
        try {
            register(root);
            for (String m : MODULES) {
                Path module = root.resolve(m);
                if (Files.isDirectory(module)) {
                    register(module);
                }
                Path sources = module.resolve("src/main");
                if (Files.isDirectory(sources)) {
                    registerTree(sources);
                }
            }
            look(built);
        } catch (IOException | RuntimeException e) {
            watch.close();
            throw e;
        }
        Thread t = new Thread(this::follow, "cryostash-source-watch");
        t.setDaemon(true);
        t.start();
    }

    /**
     * A watch of the checkout the daemon's code ({@code code}: {@code cli/target/cli-….jar}, built
     * at {@code built}) was built in; empty when the code is not a jar inside a checkout (nothing
     * the launcher checks). A checkout that cannot be watched counts as changed, so the daemon
     * serves nothing the launcher has not checked itself.
     */
    static Optional<SourceWatch> of(Path code, FileTime built) {
        // the launcher runs a jar; a classes directory (tests, an IDE) has no build time to go by
        if (code == null || !Files.isRegularFile(code) || code.getParent() == null || code.getParent().getParent() == null) {
            return Optional.empty();
        }
        Path root = code.getParent().getParent().getParent();
        if (root == null || !Files.isDirectory(root.resolve("cli/src/main")) || !Files.exists(root.resolve("pom.xml"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(new SourceWatch(root, built));
        } catch (IOException e) {
            return Optional.of(new SourceWatch(root, "its sources cannot be watched (" + e.getMessage() + ")"));
        }
    }

    /** A watch that counts as changed from the start: the daemon serves nothing unchecked. */
    private SourceWatch(Path root, String changed) {
        this.root = root;
        this.watch = null;
        this.changed = changed;
    }

    /** What changed in the checkout since the build, or null while nothing has. */
    String changed() {
        return changed;
    }

    private void register(Path dir) throws IOException {
        dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                StandardWatchEventKinds.ENTRY_DELETE);
    }

    private void registerTree(Path top) throws IOException {
        Files.walkFileTree(top, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                register(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private void look(FileTime built) throws IOException {
        if (newer(root.resolve("pom.xml"), built)) {
            changed = root.resolve("pom.xml") + " changed since the build";
            return;
        }
        for (String m : MODULES) {
            Path pom = root.resolve(m).resolve("pom.xml");
            Path sources = root.resolve(m).resolve("src/main");
            if (newer(pom, built)) {
                changed = pom + " changed since the build";
                return;
            }
            if (Files.isDirectory(sources)) {
                try (var files = Files.walk(sources)) {
                    Optional<Path> newer = files.filter(Files::isRegularFile).filter(f -> newer(f, built)).findFirst();
                    if (newer.isPresent()) {
                        changed = newer.get() + " changed since the build";
                        return;
                    }
                }
            }
        }
    }

    private static boolean newer(Path f, FileTime than) {
        try {
            return Files.exists(f) && Files.getLastModifiedTime(f).compareTo(than) > 0;
        } catch (IOException e) {
            return true;
        }
    }

    private void follow() {
        while (changed == null) {
            WatchKey key;
            try {
                key = watch.take();
            } catch (InterruptedException | java.nio.file.ClosedWatchServiceException e) {
                return;
            }
            Path dir = (Path) key.watchable();
            boolean moduleOrRoot = dir.equals(root) || dir.getParent() != null && dir.getParent().equals(root);
            for (WatchEvent<?> e : key.pollEvents()) {
                if (e.kind() == StandardWatchEventKinds.OVERFLOW) {
                    changed = "too many changes under " + root + " to follow";
                    break;
                }
                Path child = dir.resolve((Path) e.context());
                if (moduleOrRoot && !child.getFileName().toString().equals("pom.xml")) {
                    continue; // target/ and the rest beside the sources
                }
                changed = child + " changed since the build";
                break;
            }
            key.reset();
        }
    }

    @Override
    public void close() throws IOException {
        if (watch != null) {
            watch.close();
        }
    }
}
