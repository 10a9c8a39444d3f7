// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A manifest that is well formed but disagrees with itself or with what the kernel can hold is
 * refused by decoding, with a message naming what is wrong: restore never finds out by building
 * a process that then fails (issue 12, item 18). Each case edits the JSON of a consistent image
 * the way a buggy or hostile signer could.
 */
class ImageConsistencyTest {
    private final ImageCodec codec = new ImageCodec();

    private static final long MAPPED_FILE = 0x50000;

    /** The sample plus a private mapping of a data file (fingerprinted, as capture writes it). */
    static ProcessImage consistent() {
        ProcessImage s = ImageCodecTest.sample(List.of(ImageCodecTest.anon(0x10000, 0x20000),
                new MemoryArea(MAPPED_FILE, MAPPED_FILE + 0x2000, "rw-p", 0x3000, "/srv/data.bin",
                        MemoryArea.Kind.FILE_PRIVATE, null, java.util.Set.of())), ProcessImage.FORMAT_VERSION, "/tmp");
        return new ProcessImage(s.formatVersion(), s.id(), s.parent(), s.tracking(), s.createdAt(), s.host(),
                s.process(), s.credentials(), s.mm(), s.areas(), s.threads(), s.signalActions(), s.fs(), s.fds(),
                s.rlimits(), List.of(s.files().get(0), new FileFingerprint("/srv/data.bin", 8192, 1, 2, null)),
                s.timers(), s.sharedPendingSignals(), null, null);
    }

    private byte[] edited(Consumer<ObjectNode> edit) {
        ObjectNode tree = codec.mapper().valueToTree(consistent());
        edit.accept(tree);
        try {
            return codec.mapper().writeValueAsBytes(tree);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private void refused(Consumer<ObjectNode> edit, String... messageParts) {
        byte[] json = edited(edit);
        var thrown = assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class);
        for (String part : messageParts) {
            thrown.hasMessageContaining(part);
        }
    }

    private static ObjectNode area(ObjectNode tree, long start) {
        for (var a : tree.withArray("areas")) {
            if (a.get("start").asLong() == start) {
                return (ObjectNode) a;
            }
        }
        throw new AssertionError("no area at " + start);
    }

    @Test
    void theConsistentImageDecodes() {
        assertThat(codec.decode(edited(t -> { })).areas()).hasSize(3);
    }

    @Test
    void missingSectionsAreRefusedNotLeftToANullPointerException() {
        for (String section : List.of("files", "fds", "signalActions", "rlimits", "credentials", "fs")) {
            refused(t -> t.putNull(section), section);
            refused(t -> t.remove(section), section);
        }
        refused(t -> ((ArrayNode) t.get("fds")).addNull(), "null descriptor");
        refused(t -> ((ObjectNode) t.get("credentials")).putNull("groups"), "groups");
    }

    @Test
    void aFileAreaRelabelledAsAnonymousIsRefused() {
        refused(t -> area(t, MAPPED_FILE).put("kind", "ANONYMOUS"), "anonymous", "/srv/data.bin");
        // without its path too: the file it mapped is then mapped by nothing
        refused(t -> area(t, MAPPED_FILE).put("kind", "ANONYMOUS").putNull("path"), "/srv/data.bin",
                "no area maps it");
    }

    @Test
    void anAreaMappingAFileWithoutFingerprintIsRefused() {
        refused(t -> area(t, MAPPED_FILE).put("path", "/etc/shadow"), "/etc/shadow", "no fingerprint");
    }

    @Test
    void kindAndSharingMustAgree() {
        refused(t -> area(t, MAPPED_FILE).put("perms", "rw-s"), "FILE_PRIVATE", "rw-s");
        refused(t -> area(t, 0x10000).put("perms", "rw-s"), "ANONYMOUS", "rw-s");
        refused(t -> area(t, MAPPED_FILE).put("fileOffset", 17), "unaligned offset");
        refused(t -> area(t, MAPPED_FILE).put("fileOffset", -4096), "offset");
    }

    @Test
    void storedPagesOfAreasThatTakeThemElsewhereAreRefused() {
        refused(t -> area(t, 0x10000).put("kind", "FILE_SHARED").put("perms", "rw-s").put("path", "/srv/data.bin"),
                "stored pages");
        refused(t -> area(t, 0x10000).put("kind", "VDSO").put("path", "[vdso]").put("perms", "r-xp"),
                "never stored");
    }

    @Test
    void aVdsoWithoutItsFingerprintIsRefused() {
        refused(t -> {
            ObjectNode vdso = ((ArrayNode) t.get("areas")).addObject();
            vdso.put("start", 0x7ffff7fc0000L).put("end", 0x7ffff7fc2000L).put("perms", "r-xp").put("fileOffset", 0)
                    .put("path", "[vdso]").put("kind", "VDSO").putNull("content");
            ((ObjectNode) t.get("host")).putNull("vdsoSha256");
        }, "vDSO", "fingerprint");
    }

    @Test
    void negativeOrInvertedRlimitsAreRefused() {
        refused(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("soft", -5), "negative");
        refused(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("hard", -2), "negative");
        refused(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("soft", 8192), "above hard");
        refused(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("resource", 99), "does not exist");
        refused(t -> t.withArray("rlimits").add(t.withArray("rlimits").get(0).deepCopy()), "two limits");
        // unlimited is -1, and a finite soft limit under an unlimited hard one is fine
        assertThat(codec.decode(edited(t -> ((ObjectNode) t.withArray("rlimits").get(0)).put("hard", -1)))
                .rlimits().get(0).hard()).isEqualTo(-1);
    }

    @Test
    void actionsForSigkillOrSigstopAreRefused() {
        for (int sig : new int[] {9, 19}) {
            refused(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("signal", sig),
                    "signal " + sig, "cannot be caught");
        }
        refused(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("signal", 65), "does not exist");
        refused(t -> t.withArray("signalActions").add(t.withArray("signalActions").get(0).deepCopy()), "two actions");
    }

    @Test
    void handlersAndRestorersOutsideExecutableCodeAreRefused() {
        refused(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("handler", 0x10000 + 8), "handler",
                "no executable area");
        refused(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("restorer", 0xdead0000L), "restorer");
        // default and ignore are not addresses
        assertThat(codec.decode(edited(t -> ((ObjectNode) t.withArray("signalActions").get(0)).put("handler", 1)))
                .signalActions()).hasSize(1);
    }

    @Test
    void aThreadWhoseInstructionPointerIsNotInCodeIsRefused() {
        refused(t -> ((ObjectNode) t.withArray("threads").get(0).get("regs")).put("rip", 0x10008), "instruction pointer");
        refused(t -> ((ObjectNode) t.withArray("threads").get(0)).put("blockedSignals", 1L << 8), "SIGKILL");
        refused(t -> ((ObjectNode) t.withArray("threads").get(0)).putNull("regs"), "no registers");
        refused(t -> ((ObjectNode) t.withArray("threads").get(0)).putNull("xstate"), "no registers");
        refused(t -> ((ObjectNode) t.get("host")).put("xstateSize", 832), "FPU/vector state is 2 bytes");
        refused(t -> t.withArray("threads").add(t.withArray("threads").get(0).deepCopy()), "appears twice");
        refused(t -> ((ObjectNode) t.withArray("threads").get(0)).put("robustListHead", 0x10000)
                .put("robustListLength", 7), "robust list");
    }

    @Test
    void idsThatReadAsKeepTheCurrentOneAreRefused() {
        for (String id : List.of("uid", "euid", "suid", "fsuid", "gid", "egid", "sgid", "fsgid")) {
            refused(t -> ((ObjectNode) t.get("credentials")).put(id, -1), "-1");
        }
        refused(t -> ((ArrayNode) t.get("credentials").get("groups")).add(-1), "group");
    }

    @Test
    void duplicateDescriptorsAndImpossibleStateAreRefused() {
        refused(t -> t.withArray("fds").add(t.withArray("fds").get(0).deepCopy()), "descriptor 1 listed twice");
        refused(t -> ((ObjectNode) t.withArray("fds").get(0)).put("position", -1), "position");
        refused(t -> ((ObjectNode) t.get("fs")).put("umask", 01000), "umask");
        refused(t -> ((ObjectNode) t.get("mm")).put("auxv", new byte[] {1, 2, 3}), "auxiliary vector");
        refused(t -> ((ObjectNode) t.get("mm")).put("endCode", 0x10), "memory layout");
        refused(t -> ((ObjectNode) t.get("process")).put("personality", 0xffffffffL), "personality");
        refused(t -> t.withArray("files").add(t.withArray("files").get(0).deepCopy()), "listed twice");
    }
}
