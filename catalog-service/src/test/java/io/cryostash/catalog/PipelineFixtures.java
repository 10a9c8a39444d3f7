// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import io.cryostash.catalog.security.Actor;
import io.cryostash.catalog.security.EnrolmentTokenService;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.event.Event;
import io.cryostash.schema.event.EventCodec;
import io.cryostash.schema.event.Topics;
import io.cryostash.schema.image.Credentials;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.FsState;
import io.cryostash.schema.image.HostInfo;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.MmLayout;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.ProcessInfo;
import io.cryostash.schema.image.ProcessTimers;
import io.cryostash.schema.image.ThreadState;
import io.cryostash.schema.store.AreaChunks;
import io.cryostash.store.backend.S3Config;
import io.cryostash.store.image.ImageStore;
import io.cryostash.store.memory.AreaChunker;
import io.cryostash.store.repository.ChunkStore;
import io.cryostash.store.repository.ImageWriter;
import io.cryostash.store.repository.StoreSettings;
import io.cryostash.store.sign.HostKeys;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.post;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * What an agent does, for the pipeline tests: enrol a host with a key pair on disk, write real signed
 * images into the test's S3 store with image-store's {@link ImageStore}, and send signed events to
 * the real broker; plus a consumer to see what the catalog published.
 */
public final class PipelineFixtures {

    private final MockMvc mvc;
    private final JsonMapper json;
    private final EnrolmentTokenService enrolmentTokens;
    private final EventCodec codec = new EventCodec();
    private final KafkaProducer<String, byte[]> producer;

    public PipelineFixtures(MockMvc mvc, JsonMapper json, EnrolmentTokenService enrolmentTokens) {
        this.mvc = mvc;
        this.json = json;
        this.enrolmentTokens = enrolmentTokens;
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, PipelineInfrastructure.broker().getBrokersAsString());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        this.producer = new KafkaProducer<>(p);
    }

    /** A host's agent as the tests play it: its id, its key pair (in {@code stateDir}/keys) and its agent token. */
    public record TestAgent(String hostId, Path stateDir, HostKeys keys, String agentToken) {
        public String bearer() {
            return "Bearer " + agentToken;
        }

        public Fixtures.Agent asAgent() {
            return new Fixtures.Agent(hostId, agentToken);
        }
    }

    public static HostReport report(String hostId) {
        return new HostReport(hostId, "x86_64", "6.18.0", "Test CPU", Fixtures.X86_FLAGS, Fixtures.VDSO, "0.1.0", "0.1.0");
    }

    /** A fresh enrolment token (cse_…). */
    public String enrolmentToken() {
        return enrolmentTokens.issue("test", null, Actor.system()).token();
    }

    /** Enrols a new host with a fresh key pair through {@code POST /api/hosts/enrol}. */
    public TestAgent enrol(String prefix) throws Exception {
        String hostId = Fixtures.unique(prefix);
        Path state = Files.createTempDirectory("cryostash-agent-" + hostId);
        HostKeys keys = HostKeys.loadOrCreate(state.resolve("keys"));
        String token = enrolmentToken();
        String body = json.writeValueAsString(Map.of("hostId", hostId,
                "publicKey", Base64.getEncoder().encodeToString(keys.publicKey().getEncoded()), "report", report(hostId)));
        String answer = mvc.perform(post("/api/hosts/enrol").header("Authorization", "Bearer " + token)
                        .contentType("application/json").content(body))
                .andExpect(status().isCreated()).andReturn().getResponse().getContentAsString();
        JsonNode n = json.readTree(answer);
        return new TestAgent(hostId, state, keys, n.get("agentToken").asString());
    }

    /** The host's view of the shared S3 store, signing with its key. */
    public static ImageStore store(TestAgent agent) {
        S3Config c = PipelineInfrastructure.store();
        return ImageStore.open(new StoreSettings(c.uri(), new S3Config.Overrides(c.endpoint(), c.region(), c.accessKey(),
                c.secretKey()), Map.of(), null, agent.stateDir().resolve("keys"), null, agent.stateDir().resolve("cache"),
                agent.hostId(), ChunkStore.Options.defaults().withThreads(2)));
    }

    /**
     * Writes a small real image of pid {@code pid}: one anonymous area of {@code pages} pages whose
     * bytes start with {@code seed}, two threads, a descriptor; returns its id.
     */
    public static String writeImage(TestAgent agent, int pid, String seed, int pages, String parent) throws Exception {
        try (ImageStore st = store(agent)) {
            return writeImage(st, agent, pid, seed, pages, parent);
        }
    }

    /** {@link #writeImage(TestAgent, int, String, int, String)} into a store the caller keeps open (many images). */
    public static String writeImage(ImageStore st, TestAgent agent, int pid, String seed, int pages, String parent) throws Exception {
        {
            ImageWriter w = st.newImage();
            long start = 0x7f00_0000_0000L;
            long length = (long) pages * 4096;
            byte[] memory = new byte[(int) length];
            byte[] s = seed.getBytes(StandardCharsets.UTF_8);
            for (int i = 0; i < memory.length; i++) memory[i] = s[i % s.length];
            AreaChunks area = w.putArea(new AreaChunker(), start, length, AreaChunker.PagePresence.all(),
                    (address, dst) -> dst.put(memory, (int) (address - start), dst.remaining()));
            // consistent as a capture writes it (ImageConsistency): rip in the program's code, whose
            // file is fingerprinted, FPU state of the host's size, auxv of whole pairs
            long code = 0x40_0000L;
            long[] r = new long[CpuRegisters.COUNT];
            r[16] = code + 0x10; // rip
            CpuRegisters regs = CpuRegisters.fromArray(r);
            int xstate = 2432;
            ProcessImage img = new ProcessImage(ProcessImage.FORMAT_VERSION, null, parent, "full", Instant.now(),
                    new HostInfo(agent.hostId(), "6.18.0", "amd64", Fixtures.VDSO, 2432),
                    new ProcessInfo(pid, 1, pid, pid, "sim", List.of("/usr/bin/sim", "--seed", seed), "/usr/bin/sim", 0),
                    new Credentials(0, 0, 0, 0, 0, 0, 0, 0, List.of()),
                    new MmLayout(0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000, 0x7000, 0x8000, 0x9000, 0xa000, 0xb000,
                            new byte[16], "/usr/bin/sim"),
                    List.of(new MemoryArea(code, code + 0x1000, "r-xp", 0, "/usr/bin/sim", MemoryArea.Kind.FILE_PRIVATE,
                                    null, java.util.Set.of()),
                            new MemoryArea(start, start + length, "rw-p", 0, null, MemoryArea.Kind.ANONYMOUS, area, java.util.Set.of())),
                    List.of(new ThreadState(pid, regs, new byte[xstate], 0, null, null, 0, 0, 0, "sim", List.of(), false),
                            new ThreadState(pid + 1, regs, new byte[xstate], 0, null, null, 0, 0, 0, "sim", List.of(),
                                    false)),
                    List.of(), new FsState("/tmp", "/", 022),
                    List.of(FdEntry.withoutRecord(3, FdEntry.Kind.REGULAR, "/var/lib/sim/out.dat", 02001, 4096)), List.of(),
                    List.of(new io.cryostash.schema.image.FileFingerprint("/usr/bin/sim", 4096, 1, 2, null)),
                    ProcessTimers.NONE, List.of(), null, null);
            return st.commit(w, img).id();
        }
    }

    /** Sends an event as {@code agent}: key = its host, type header, signature over the value with {@code signer}. */
    public void send(String topic, String type, TestAgent agent, Event event, HostKeys signer) throws Exception {
        byte[] value = codec.encode(event);
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, agent.hostId(), value);
        r.headers().add(Topics.HEADER_TYPE, type.getBytes(StandardCharsets.UTF_8));
        if (signer != null) {
            r.headers().add(Topics.HEADER_SIGNATURE, Base64.getEncoder().encode(signer.sign(value)));
        }
        producer.send(r).get();
    }

    /** A consumer of {@code topic} from its beginning, in a group of its own. */
    public static KafkaConsumer<String, byte[]> consumer(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, PipelineInfrastructure.broker().getBrokersAsString());
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p);
        c.subscribe(List.of(topic));
        return c;
    }

    /** Polls until a record matching {@code wanted} arrives (or the deadline passes: then fails). */
    public static ConsumerRecord<String, byte[]> await(KafkaConsumer<String, byte[]> c, Duration within,
                                                       java.util.function.Predicate<ConsumerRecord<String, byte[]>> wanted) {
        long deadline = System.nanoTime() + within.toNanos();
        List<String> seen = new ArrayList<>();
        while (System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                if (wanted.test(r)) return r;
                seen.add(r.key());
            }
        }
        throw new AssertionError("no such record within " + within + "; saw keys " + seen);
    }

    public static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

}
