// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.store.AreaChunk;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.schema.store.AreaTable;
import io.cryostash.schema.store.ChunkKey;

/** Trees in the manifest: every member's areas go through chunk tables, and references are checked. */
class ProcessTreeCodecTest {
    private final ImageCodec codec = new ImageCodec();

    private static ChunkKey key(int b) {
        byte[] k = new byte[32];
        k[0] = (byte) b;
        return ChunkKey.of(k);
    }

    private static MemoryArea area(long start, long end, MemoryArea.Kind kind, int keyByte) {
        return new MemoryArea(start, end, kind == MemoryArea.Kind.SHARED_ANONYMOUS ? "rw-s" : "rw-p", 0,
                null, kind,
                keyByte == 0 ? null : new AreaChunks(start, end - start, 4096, 16,
                        List.of(new AreaChunk(0, 1, 1, key(keyByte)))), java.util.Set.of());
    }

    /** A process like {@link ImageCodecTest#sample} with another pid. */
    private static ProcessImage process(int pid, List<MemoryArea> areas) {
        ProcessImage b = ImageCodecTest.sample(areas, ProcessImage.FORMAT_VERSION, "/tmp");
        ProcessInfo p = b.process();
        ThreadState t = b.threads().get(0);
        return new ProcessImage(b.formatVersion(), null, null, b.tracking(), b.createdAt(), b.host(),
                new ProcessInfo(pid, p.ppid(), p.pgid(), p.sid(), p.comm(), p.cmdline(), p.exe(), p.personality()),
                b.credentials(), b.mm(), b.areas(), // with the sample's code area, where the thread's rip is
                List.of(new ThreadState(pid, t.regs(), t.xstate(), t.blockedSignals(), t.altStack(), t.rseq(),
                        t.clearChildTid(), t.robustListHead(), t.robustListLength(), t.name(), t.pendingSignals(),
                        t.noNewPrivs())),
                b.signalActions(), b.fs(), b.fds(), b.rlimits(), b.files(), b.timers(), b.sharedPendingSignals(), b.sysvIpc(), null);
    }

    private static ProcessImage tree(List<TreeMember> members) {
        return process(10, List.of(area(0x10000, 0x20000, MemoryArea.Kind.ANONYMOUS, 1),
                area(0x30000, 0x40000, MemoryArea.Kind.SHARED_ANONYMOUS, 2))).withTree(new ProcessTree(members));
    }

    private static TreeMember child(int pid, int ppid, List<TreeMember.SharedFd> fds, List<TreeMember.SharedArea> areas) {
        return new TreeMember(pid, ppid, 10, 10, null, process(pid, List.of(
                area(0x10000, 0x20000, MemoryArea.Kind.ANONYMOUS, 3),
                area(0x30000, 0x40000, MemoryArea.Kind.SHARED_ANONYMOUS, 0))), fds, areas);
    }

    /** Stores tables in a map, as the store would, keyed by the first chunk's key. */
    private static final class Tables implements ImageCodec.TableWriter, ImageCodec.TableResolver {
        final Map<ChunkKey, AreaChunks> stored = new HashMap<>();
        int writes;

        @Override
        public Map<Long, AreaTable> write(Map<Long, AreaChunks> contents) {
            writes++;
            Map<Long, AreaTable> out = new HashMap<>();
            contents.forEach((start, c) -> {
                ChunkKey k = key(100 + stored.size());
                stored.put(k, c);
                out.put(start, new AreaTable(c.start(), c.length(), c.pageSize(), c.chunkPages(), List.of(k)));
            });
            return out;
        }

        @Override
        public Map<Long, AreaChunks> resolve(Map<Long, AreaTable> tables) {
            Map<Long, AreaChunks> out = new HashMap<>();
            tables.forEach((start, t) -> out.put(start, stored.get(t.segments().get(0))));
            return out;
        }
    }

    @Test
    void treeRoundTripsThroughChunkTablesWithEveryMember() {
        ProcessImage root = tree(List.of(
                child(11, 10, List.of(new TreeMember.SharedFd(1, 10, 1)), List.of(new TreeMember.SharedArea(0x30000, 10, 0x30000))),
                new TreeMember(12, 11, 10, 10, 3 << 8, null, List.of(), List.of())));
        Tables tables = new Tables();
        byte[] json = codec.encode(root, tables);
        assertThat(tables.writes).isEqualTo(2); // the root's areas, then the live member's
        assertThat(new String(json)).doesNotContain("\"chunks\"");

        ProcessImage back = codec.decode(json, tables);
        assertThat(back).usingRecursiveComparison().ignoringFieldsOfTypes(byte[].class).isEqualTo(root);
        TreeMember zombie = back.tree().members().get(1);
        assertThat(zombie.zombie()).isTrue();
        assertThat(zombie.exitStatus()).isEqualTo(3 << 8);
        assertThat(back.tree().members().get(0).image().areas().get(0).content().chunks().get(0).key()).isEqualTo(key(3));
    }

    @Test
    void singleProcessImagesHaveNoTree() {
        ProcessImage single = process(10, List.of(area(0x10000, 0x20000, MemoryArea.Kind.ANONYMOUS, 1)));
        assertThat(new String(codec.encode(single))).doesNotContain("\"tree\"");
        assertThat(codec.decode(codec.encode(single)).hasTree()).isFalse();
    }

    @Test
    void aMemberWhoseParentIsNotListedBeforeItIsRefused() {
        ProcessImage root = tree(List.of(child(11, 12, List.of(), List.of()), child(12, 10, List.of(), List.of())));
        assertThatThrownBy(() -> codec.decode(codec.encode(root))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("process 11 of the tree: its parent 12 is not a process listed before it");
    }

    @Test
    void sharedDescriptorsAndAreasMustNameWhatExists() {
        ProcessImage badFd = tree(List.of(child(11, 10, List.of(new TreeMember.SharedFd(1, 10, 7)), List.of())));
        assertThatThrownBy(() -> codec.decode(codec.encode(badFd))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("descriptor 1 is shared with descriptor 7 of 10");
        ProcessImage laterFd = tree(List.of(child(11, 10, List.of(new TreeMember.SharedFd(1, 12, 1)), List.of()),
                child(12, 10, List.of(), List.of())));
        assertThatThrownBy(() -> codec.decode(codec.encode(laterFd))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("not a live process listed before it");
        ProcessImage badArea = tree(List.of(child(11, 10, List.of(),
                List.of(new TreeMember.SharedArea(0x30000, 10, 0x10000)))));
        assertThatThrownBy(() -> codec.decode(codec.encode(badArea))).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("names no shared anonymous area");
    }

    @Test
    void idsTakenTwiceAndZombiesWithStateAreRefused() {
        ProcessImage twice = tree(List.of(child(10, 10, List.of(), List.of())));
        assertThatThrownBy(() -> codec.decode(codec.encode(twice))).hasMessageContaining("also another process's");
        ProcessImage zombie = tree(List.of(new TreeMember(11, 10, 10, 10, 0, process(11, List.of(
                area(0x10000, 0x20000, MemoryArea.Kind.ANONYMOUS, 1))), List.of(), List.of())));
        assertThatThrownBy(() -> codec.decode(codec.encode(zombie))).hasMessageContaining("zombie with process state");
    }

    @Test
    void aMemberWithATreeOfItsOwnIsRefused() {
        ProcessImage nested = tree(List.of(child(11, 10, List.of(), List.of())));
        TreeMember m = nested.tree().members().get(0);
        ProcessImage bad = nested.withTree(new ProcessTree(List.of(m.withImage(m.image().withTree(new ProcessTree(List.of()))))));
        assertThatThrownBy(() -> codec.decode(codec.encode(bad))).hasMessageContaining("tree of its own");
    }
}
