// SPDX-License-Identifier: Apache-2.0
package io.cryostash.restore.failures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.agent.testing.ProcState;
import io.cryostash.restore.RestoreException;
import io.cryostash.restore.RestoreOptions;
import io.cryostash.restore.Restorer;
import io.cryostash.restore.testing.RoundTrip;

/**
 * Images restore must refuse: a clear error naming what is wrong, and no half-built process
 * (husk) left behind.
 */
@ExtendWith(Leftovers.class)
class RestoreRefusalTest {
    @TempDir
    Path tmp;

    @Test
    void unknownImageIdIsRefusedNamingIt() {
        RoundTrip rt = new RoundTrip(tmp);
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, "deadbeefdeadbeef", false))
                .hasMessageContaining("deadbeefdeadbeef").hasMessageContaining("no image");
        assertThatThrownBy(() -> restore(rt, "../../etc", false)).hasMessageContaining("no image");
        assertNoNewHusk(husks);
    }

    @Test
    void corruptChunkIsRefusedAndTheHalfBuiltProcessKilled() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        String id = imageOfMapfile(rt);
        // the image's chunk tables have a pack of their own: left intact, so that the image reads
        // and restore meets the damage in its memory, with a process half built
        Set<String> tablePacks = new java.util.HashSet<>();
        for (var table : rt.store().repository().readImage(id).manifest().tables()) {
            tablePacks.add(rt.store().repository().chunks().index().lookup(table).orElseThrow().packId());
        }
        int flipped = 0;
        for (Path pack : storeFiles(rt, "packs")) {
            if (tablePacks.contains(pack.getFileName().toString())) continue;
            flipByteAt(pack, 64); // inside the first chunk of every pack
            flipped++;
        }
        assertThat(flipped).isPositive();
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, false)).isInstanceOf(RestoreException.class)
                .hasMessageContaining("chunk");
        assertNoNewHusk(husks);
    }

    @Test
    void truncatedPackIsRefusedAndTheHalfBuiltProcessKilled() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        String id = imageOfMapfile(rt);
        for (Path pack : storeFiles(rt, "packs")) {
            try (FileChannel ch = FileChannel.open(pack, StandardOpenOption.WRITE)) {
                ch.truncate(Math.min(ch.size() / 2, 32)); // cut inside the first chunk
            }
        }
        Set<Long> husks = husks();

        // found while reading the image's chunk tables, before any process exists, or while
        // writing memory into the new one, which is then killed
        assertThatThrownBy(() -> restore(rt, id, false))
                .isInstanceOfAny(RestoreException.class, io.cryostash.store.image.ImageIntegrityException.class)
                .hasMessageContaining(id);
        assertNoNewHusk(husks);
    }

    @Test
    void garbageManifestIsRefused() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        String id = imageOfMapfile(rt);
        Files.write(manifest(rt, id), new byte[] {0x7f, 'E', 'L', 'F', 0, 1, 2});
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, false)).hasMessageContaining(id).hasMessageContaining("rejected");
        assertNoNewHusk(husks);
    }

    @Test
    void truncatedOrTamperedManifestIsRefused() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        String id = imageOfMapfile(rt);
        Path manifest = manifest(rt, id);
        byte[] original = Files.readAllBytes(manifest);
        Set<Long> husks = husks();

        Files.write(manifest, java.util.Arrays.copyOf(original, original.length / 2));
        assertThatThrownBy(() -> restore(rt, id, false)).hasMessageContaining("rejected");

        byte[] tampered = original.clone();
        tampered[tampered.length / 2] ^= 0x20; // one byte of the signed payload
        Files.write(manifest, tampered);
        assertThatThrownBy(() -> restore(rt, id, false)).hasMessageContaining("rejected");
        assertNoNewHusk(husks);
    }

    @Test
    void changedMappedFileIsRefusedUnlessAllowed() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("mapfile")).start();
        String id = rt.checkpoint(original, true).image().id();
        Path mapped = original.file("mapped.dat");
        Files.write(mapped, new byte[] {1}, StandardOpenOption.APPEND);
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, false)).isInstanceOf(RestoreException.class)
                .hasMessageContaining(mapped.toString()).hasMessageContaining("changed")
                .hasMessageContaining("--allow-changed-files");
        assertNoNewHusk(husks);

        FixtureProcess restored = rt.restore(original, id, true);
        assertThat(restored.check()).isEqualTo("PASS");
    }

    @Test
    void deletedMappedFileIsRefusedEvenWhenChangesAreAllowed() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("mapfile")).start();
        String id = rt.checkpoint(original, true).image().id();
        Path mapped = original.file("mapped.dat");
        Files.delete(mapped);
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, true)).isInstanceOf(RestoreException.class)
                .hasMessageContaining(mapped.toString()).hasMessageContaining("missing");
        assertNoNewHusk(husks);
    }

    @Test
    void openFileDeletedSinceTheCheckpointIsRefusedNamingIt() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("files")).start();
        String id = rt.checkpoint(original, true).image().id();
        Path data = original.file("data.bin");
        Files.delete(data);
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, true)).isInstanceOf(RestoreException.class)
                .hasMessageContaining(data.toString());
        assertNoNewHusk(husks);
    }

    @Test
    void workingDirectoryDeletedSinceTheCheckpointIsRefusedNamingIt() throws IOException {
        RoundTrip rt = new RoundTrip(tmp);
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("procstate"))
                .prefix("env", "CRYO_FIXTURE_VAR=kept across restore").args("an argument").start();
        String id = rt.checkpoint(original, true).image().id();
        Path cwd = original.file("sub dir");
        Files.delete(cwd);
        Set<Long> husks = husks();

        assertThatThrownBy(() -> restore(rt, id, true)).isInstanceOf(RestoreException.class)
                .hasMessageContaining(cwd.toString());
        assertNoNewHusk(husks);
    }

    private String imageOfMapfile(RoundTrip rt) {
        FixtureProcess original = FixtureProcess.of(RoundTrip.fixture("mapfile")).start();
        String id = rt.checkpoint(original, false).image().id();
        assertThat(original.runningFreely()).isTrue();
        return id;
    }

    /** Any free pid: these images' originals may still run, and what is refused here is the image itself. */
    private static void restore(RoundTrip rt, String id, boolean allowChanged) {
        int pid = new Restorer(rt.store()).restore(id, new RestoreOptions(allowChanged, rt.logDir(),
                RestoreOptions.PidMode.NEW_PID)).pid();
        Leftovers.track(pid);
    }

    private static Path manifest(RoundTrip rt, String id) {
        return rt.storeDir().resolve("manifests").resolve(id);
    }

    private static java.util.List<Path> storeFiles(RoundTrip rt, String dir) throws IOException {
        try (Stream<Path> s = Files.walk(rt.storeDir().resolve(dir))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static void flipByteAt(Path file, long pos) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte) (b.get(0) ^ 0xff)).rewind();
            ch.write(b, pos);
        }
    }

    /** Live husk processes (sleep 1000000000) on this machine. */
    private static Set<Long> husks() {
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")));
                    // husks inherit this JVM's working directory: restores of other worktrees' tests are not ours
                    return cmd.endsWith("sleep\u00001000000000\u0000")
                            && Files.readSymbolicLink(p.resolve("cwd")).equals(Path.of("").toAbsolutePath());
                } catch (IOException gone) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString()))
                    .filter(pid -> ProcState.of(pid) != 'Z' && ProcState.of(pid) != 0).collect(Collectors.toSet());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertNoNewHusk(Set<Long> before) {
        Set<Long> now = husks();
        now.removeAll(before);
        assertThat(now).as("husk processes left behind").isEmpty();
    }
}
