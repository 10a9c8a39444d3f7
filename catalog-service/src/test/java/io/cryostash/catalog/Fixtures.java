// SPDX-License-Identifier: Apache-2.0
package io.cryostash.catalog;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.cryostash.catalog.host.HostRepository;
import io.cryostash.catalog.image.ImageService;
import io.cryostash.catalog.security.AgentContext;
import io.cryostash.catalog.security.AgentTokenService;
import io.cryostash.catalog.user.Role;
import io.cryostash.catalog.user.UserRepository;
import io.cryostash.schema.catalog.AreaSummary;
import io.cryostash.schema.catalog.ChunkRef;
import io.cryostash.schema.catalog.FdSummary;
import io.cryostash.schema.catalog.ThreadSummary;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.catalog.HostReport;
import io.cryostash.schema.catalog.ImageRegistration;
import io.cryostash.schema.catalog.ProcessSummary;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;
import org.springframework.test.web.servlet.MockMvc;
import tools.jackson.databind.json.JsonMapper;

import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.put;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/** Makes hosts, tokens, users and images with unique ids, through the real API where agents would. */
public final class Fixtures {

    public static final List<String> X86_FLAGS = List.of("fpu", "sse2", "avx", "avx2", "aes");
    public static final String VDSO = "vdso-6.18-aaaaaaaaaaaa";
    private static final AtomicLong SEQ = new AtomicLong(System.nanoTime() % 1_000_000);

    private final MockMvc mvc;
    private final JsonMapper json;
    private final AgentTokenService tokens;
    private final HostRepository hosts;
    private final UserRepository users;
    private final PasswordEncoder encoder;
    private final ImageService images;

    public Fixtures(MockMvc mvc, JsonMapper json, AgentTokenService tokens, HostRepository hosts, UserRepository users,
                    PasswordEncoder encoder, ImageService images) {
        this.images = images;
        this.mvc = mvc;
        this.json = json;
        this.tokens = tokens;
        this.hosts = hosts;
        this.users = users;
        this.encoder = encoder;
    }

    public static String unique(String prefix) {
        return prefix + "-" + SEQ.incrementAndGet();
    }

    public record Agent(String hostId, String token) {
        public String bearer() {
            return "Bearer " + token;
        }
    }

    /** A host with a heartbeat (x86_64, {@link #X86_FLAGS}, {@link #VDSO}) and a token for its agent. */
    public Agent host(String prefix) throws Exception {
        return host(prefix, "x86_64", X86_FLAGS, VDSO);
    }

    public Agent host(String prefix, String arch, List<String> flags, String vdso) throws Exception {
        String id = unique(prefix);
        hosts.insert(id, id);
        Agent a = new Agent(id, tokens.issue(id).token());
        mvc.perform(put("/api/hosts/{id}/heartbeat", id).header("Authorization", a.bearer())
                        .contentType("application/json")
                        .content(json.writeValueAsString(new HostReport(id, arch, "6.18.0", "Test CPU", flags, vdso, "0.1.0", "0.1.0"))))
                .andExpect(status().isOk());
        return a;
    }

    public String user(Role role) {
        String name = unique(role.name().toLowerCase());
        users.insert(name, encoder.encode(name + "-password"), role);
        return name;
    }

    public static String chunkKey(long n) {
        byte[] b = new byte[32];
        for (int i = 0; i < 8; i++) b[i] = (byte) (n >>> (56 - 8 * i));
        b[31] = 1;
        return HexFormat.of().formatHex(b);
    }

    public ImageRegistration registration(Agent agent, String job, Instant at, String parent, long firstChunk, int chunks) {
        List<ChunkRef> refs = new ArrayList<>();
        for (int i = 0; i < chunks; i++) refs.add(new ChunkRef(chunkKey(firstChunk + i), 65536, 16000L, "pack-" + firstChunk, (long) i * 16000));
        return new ImageRegistration(unique("img"), agent.hostId(), job, Map.of("team", "physics"), at, parent,
                (long) chunks * 65536, (long) chunks * 16000, "manifests/" + firstChunk, "sig-base64",
                new ProcessSummary(4242, "/usr/bin/sim", List.of("/usr/bin/sim", "--steps", "1000"), "x86_64",
                        List.of("sse2", "avx"), VDSO, "6.18.0", 4, 37, 6, 123_456_789L),
                refs);
    }

    /** The same registration with a small process inside: 2 threads, 4 areas (sent out of address order), 3 descriptors. */
    public static ImageRegistration withContents(ImageRegistration r) {
        List<ThreadSummary> threads = List.of(new ThreadSummary(4242, "sim", "running"), new ThreadSummary(4243, "sim-io", null));
        List<AreaSummary> areas = List.of(
                new AreaSummary(0x7ffd_0000_0000L, 0x7ffd_0002_1000L, "rw-p", 0, "[stack]", MemoryArea.Kind.ANONYMOUS, 5, 2048L),
                new AreaSummary(0x5555_5555_4000L, 0x5555_5557_0000L, "r-xp", 0x2000, "/usr/bin/sim", MemoryArea.Kind.FILE_PRIVATE, 0, null),
                new AreaSummary(0x5555_5600_0000L, 0x5555_5602_1000L, "rw-p", 0, "[heap]", MemoryArea.Kind.ANONYMOUS, 33, 40_000L),
                new AreaSummary(0x7f00_0000_0000L, 0x7f00_0010_0000L, "rw-s", 0, "/dev/shm/sim-results", MemoryArea.Kind.FILE_SHARED, 0, null));
        List<FdSummary> fds = List.of(
                new FdSummary(3, FdEntry.Kind.REGULAR, "/var/lib/sim/output.dat", 02101, 1_048_576),
                new FdSummary(0, FdEntry.Kind.CHARACTER_DEVICE, "/dev/null", 0, 0),
                new FdSummary(4, FdEntry.Kind.UNREOPENABLE, "pipe:[81234]", 01, 0));
        return new ImageRegistration(r.imageId(), r.hostId(), r.job(), r.jobLabels(), r.capturedAt(), r.parentId(),
                r.logicalBytes(), r.storedBytes(), r.manifestKey(), r.signature(), r.process(), r.chunks(), threads, areas, fds);
    }

    /**
     * Registers an image as if its manifest had verified (the catalog's registration after
     * {@code CheckpointRegistrar}'s checks; the pipeline tests register real signed manifests) and
     * returns its id. The images of these tests have made-up chunks that no store holds.
     */
    public String register(Agent agent, ImageRegistration r) {
        if (!agent.hostId().equals(r.hostId())) throw new IllegalArgumentException("registration of another host");
        var done = AgentContext.runAs(agent.hostId(), () -> images.register(r));
        if (done.outcome() != ImageService.Outcome.CREATED) throw new IllegalStateException("image " + r.imageId() + " existed");
        return r.imageId();
    }

    public String image(Agent agent, String job) throws Exception {
        return register(agent, registration(agent, job, Instant.now(), null, SEQ.incrementAndGet() * 1000, 3));
    }

    public String toJson(Object o) {
        return json.writeValueAsString(o);
    }
}
