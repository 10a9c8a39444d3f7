// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Structure-aware fuzzing of the process-image manifest decoder (issue 12, fault suite): a
 * consistent manifest has one to four of its JSON values replaced by hostile ones (null, a
 * missing field, extreme numbers, wrong types, path tricks, deep nesting). Whatever comes in,
 * the decoder returns an image that passes its own validation or refuses with
 * {@link InvalidImageException} and a message: no other exception, no hang, and allocation
 * bounded by a small multiple of the input.
 */
class ManifestJsonFuzzProperties {
    /** Far above what decoding a few KiB of JSON costs, far below what a length field taken on trust would. */
    private static final long ALLOCATION_BASE = 64L << 20;
    private static final int ALLOCATION_PER_INPUT_BYTE = 200;
    /** Only a hang comes near this: one decode takes microseconds to milliseconds. */
    private static final Duration HANG = Duration.ofSeconds(30);

    private final ImageCodec codec = new ImageCodec();
    private final byte[] seed = codec.encode(ImageConsistencyTest.consistent());

    record Mutation(int where, int what, long number) {
    }

    @Provide
    Arbitrary<List<Mutation>> mutations() {
        return Combinators.combine(Arbitraries.integers().between(0, Integer.MAX_VALUE),
                        Arbitraries.integers().between(0, HOSTILE_KINDS - 1), Arbitraries.longs())
                .as(Mutation::new).list().ofMinSize(1).ofMaxSize(4);
    }

    private static final int HOSTILE_KINDS = 16;

    private static JsonNode hostile(int what, long number) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (what) {
            case 0 -> f.nullNode();
            case 1 -> f.numberNode(-1);
            case 2 -> f.numberNode(number);
            case 3 -> f.numberNode(Long.MIN_VALUE);
            case 4 -> f.numberNode(1e300);
            case 5 -> f.textNode("");
            case 6 -> f.textNode("/tmp/../etc/shadow");
            case 7 -> f.textNode("x".repeat(5000));
            case 8 -> f.booleanNode(true);
            case 9 -> f.arrayNode();
            case 10 -> f.objectNode();
            case 11 -> f.arrayNode().addNull();
            case 12 -> f.textNode(DEEP); // replaced by 5000 nested arrays once written (Jackson will not write them)
            case 13 -> f.numberNode(number & 0xfff);
            case 14 -> f.textNode("\u0000");
            default -> f.numberNode(Integer.MAX_VALUE);
        };
    }

    private static final String DEEP = "@@deep@@";

    /** What restore reads of a decoded image, section by section: none of it may be null. */
    private static void readEverything(ProcessImage im) {
        im.areas().forEach(a -> a.perms().length());
        im.threads().forEach(t -> t.regs().toArray());
        im.threads().forEach(t -> t.xstate().clone());
        im.signalActions().forEach(a -> a.isDefault());
        im.fds().forEach(f -> f.kind().name());
        im.rlimits().forEach(l -> l.resource());
        im.files().forEach(f -> f.path().length());
        im.credentials().groups().forEach(g -> g.intValue());
        im.fs().cwd().length();
        im.fs().root().length();
        im.mm().auxv().clone();
        im.process().comm().length();
    }

    /** Every (parent, field or index) slot of the tree. */
    private static void slots(JsonNode node, List<Object[]> out) {
        if (node instanceof ObjectNode o) {
            o.fieldNames().forEachRemaining(name -> {
                out.add(new Object[] {o, name});
                slots(o.get(name), out);
            });
        } else if (node instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                out.add(new Object[] {a, i});
                slots(a.get(i), out);
            }
        }
    }

    private byte[] mutate(List<Mutation> ms) throws Exception {
        JsonNode tree = codec.mapper().readTree(seed);
        for (Mutation m : ms) {
            List<Object[]> slots = new ArrayList<>();
            slots(tree, slots);
            Object[] slot = slots.get(m.where() % slots.size());
            boolean remove = m.what() == HOSTILE_KINDS - 1 && (m.number() & 1) == 0;
            if (slot[0] instanceof ObjectNode o) {
                if (remove) {
                    o.remove((String) slot[1]);
                } else {
                    o.set((String) slot[1], hostile(m.what(), m.number()));
                }
            } else {
                ((ArrayNode) slot[0]).set((Integer) slot[1], hostile(m.what(), m.number()));
            }
        }
        String text = codec.mapper().writeValueAsString(tree);
        return text.replace("\"" + DEEP + "\"", "[".repeat(5000) + "]".repeat(5000))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Property(tries = 2000)
    void hostileValuesDecodeToAValidImageOrAreRefusedWithAMessage(@ForAll("mutations") List<Mutation> ms)
            throws Exception {
        byte[] json = mutate(ms);
        Throwable[] failure = {null};
        long allocated = assertTimeoutPreemptively(HANG, () -> AllocationMeter.bytesAllocatedBy(() -> {
            try {
                ProcessImage image = codec.decode(json);
                ImageCodec.validate(image); // what decodes must pass validation again
                readEverything(image);
            } catch (Throwable t) {
                failure[0] = t;
            }
        }));
        if (failure[0] != null) {
            assertThat(failure[0]).as("decoding %s", new String(json, 0, Math.min(json.length, 300)))
                    .isInstanceOf(InvalidImageException.class);
            assertThat(failure[0].getMessage()).startsWith("invalid image: ").hasSizeGreaterThan(20);
        }
        assertThat(allocated).as("bytes allocated decoding %d bytes", json.length)
                .isLessThan(ALLOCATION_BASE + (long) ALLOCATION_PER_INPUT_BYTE * json.length);
    }
}
