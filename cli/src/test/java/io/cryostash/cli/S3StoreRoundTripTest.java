// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import io.cryostash.store.backend.S3Config;
import io.cryostash.store.backend.S3ProxyFixture;
import io.cryostash.agent.testing.CFixtures;
import io.cryostash.agent.testing.FixtureProcess;
import io.cryostash.agent.testing.Leftovers;
import io.cryostash.cli.CliRoundTripTest.Run;

/**
 * The commands against {@code --store s3://bucket/prefix} on a real S3 server in this JVM
 * (S3Proxy on a filesystem back end): a real process is checkpointed into S3, killed, verified
 * and restored from S3, and must carry on with its own counter and an intact heap.
 */
@ExtendWith(Leftovers.class)
class S3StoreRoundTripTest {
    private static final String HEAP_MIB = "24";

    @TempDir
    static Path s3Dir;
    static S3ProxyFixture s3;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = new S3ProxyFixture(s3Dir);
    }

    @AfterAll
    static void stopS3() throws Exception {
        s3.close();
    }

    /** The token and heap checksum a fixture reports ("PASS <token> <sum> <count>" or the heap file). */
    record Heap(String token, String checksum) {
        static Heap parse(String words) {
            String[] w = words.trim().split(" ");
            return new Heap(w[0], w[1]);
        }
    }

    @Test
    void aProcessCheckpointedIntoS3CarriesOnAfterARestoreFromS3() throws IOException {
        S3Config where = s3.freshConfig();
        FixtureProcess program = FixtureProcess.of(CFixtures.compile("src/test/c/heapcount.c")).args(HEAP_MIB).start();
        Heap original = Heap.parse(program.read("heap"));
        program.awaitNumberAbove("counter", 0);

        Run checkpoint = cli(where, "checkpoint", Integer.toString(program.pid()), "--kill");
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        String id = checkpoint.lastLine();
        program.awaitGone();
        long atCheckpoint = program.number("counter");
        assertThat(atCheckpoint).isPositive();
        assertThat(objectsUnder(where, "manifests")).as("the image is in the bucket, not somewhere else")
                .contains(id);
        assertThat(objectsUnder(where, "packs")).isNotEmpty();

        Run verify = cli(where, "verify", id, "--read-data");
        assertThat(verify.exit()).as(verify.out() + verify.err()).isZero();
        assertThat(verify.lastLine()).startsWith("ok: ").contains("every chunk re-hashed");

        // blank the counter so that only the restored program's own writes can fill it again
        Files.writeString(program.file("counter"), "", StandardOpenOption.TRUNCATE_EXISTING);
        Run restore = cli(where, "restore", id, "--log-dir", tmp.resolve("logs").toString());
        assertThat(restore.exit()).as(restore.err()).isZero();
        FixtureProcess restored = program.restoredAs(Integer.parseInt(restore.lastLine()));
        assertThat(restored.runningFreely()).isTrue();

        long firstSeen = restored.awaitNumberAbove("counter", 0);
        assertThat(firstSeen).as("the counter continues from its value at the checkpoint, not from zero")
                .isGreaterThanOrEqualTo(atCheckpoint);
        String result = restored.check();
        assertThat(result).as(restored.output()).startsWith("PASS ");
        String[] words = result.substring(5).split(" ");
        assertThat(Heap.parse(result.substring(5))).as("same program (token) and same heap (checksum)")
                .isEqualTo(original);
        assertThat(Long.parseLong(words[2])).isGreaterThan(atCheckpoint);
    }

    @Test
    void verifyAndRestoreFromS3RefuseAnImageWhosePackWasDamagedInTheBucket() throws IOException {
        S3Config where = s3.freshConfig();
        FixtureProcess program = FixtureProcess.of(CFixtures.compile("src/test/c/heapcount.c")).args(HEAP_MIB).start();
        Run checkpoint = cli(where, "checkpoint", Integer.toString(program.pid()), "--kill");
        assertThat(checkpoint.exit()).as(checkpoint.err()).isZero();
        String id = checkpoint.lastLine();
        program.awaitGone();

        // flip one byte inside the first frame of every pack, behind S3's back
        List<Path> packs = packFiles(where);
        assertThat(packs).isNotEmpty();
        for (Path pack : packs) {
            byte[] bytes = Files.readAllBytes(pack);
            bytes[bytes.length / 4] ^= 0x5a;
            Files.write(pack, bytes);
        }

        Run verify = cli(where, "verify", id, "--read-data");
        assertThat(verify.exit()).as(verify.out()).isEqualTo(2);
        assertThat(verify.out()).contains("error: ").contains("DAMAGED");

        Run restore = cli(where, "restore", id, "--log-dir", tmp.resolve("logs").toString());
        assertThat(restore.exit()).isNotZero();
        assertThat(restore.err()).startsWith("cryostash: ");
        assertThat(restore.out()).isEmpty();
    }

    private static Run cli(S3Config where, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", where.uri(), "--s3-endpoint", s3.endpoint(), "--s3-region", where.region(),
                "--s3-access-key", where.accessKey(), "--s3-secret-key", where.secretKey()));
        return CliRoundTripTest.cli(all.toArray(String[]::new));
    }

    /** Object names under {@code prefix/kind/}, read from the S3 server's own files. */
    private static List<String> objectsUnder(S3Config where, String kind) throws IOException {
        Path dir = s3Dir.resolve(where.bucket()).resolve(where.prefix()).resolve(kind);
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static List<Path> packFiles(S3Config where) throws IOException {
        Path dir = s3Dir.resolve(where.bucket()).resolve(where.prefix()).resolve("packs");
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }
}
