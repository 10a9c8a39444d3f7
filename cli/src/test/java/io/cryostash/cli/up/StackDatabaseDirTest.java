// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli.up;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a stack's database goes: beside the stack unless root's database account could not reach it there. */
class StackDatabaseDirTest {
    @TempDir
    Path tmp;

    Path home(String mode) throws Exception {
        Path home = Files.createDirectories(tmp.resolve("home-" + mode));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(home, PosixFilePermissions.fromString(mode));
        return Files.createDirectories(home.resolve(".cryostash/stack"));
    }

    @Test
    void aUsersStackKeepsItsDatabaseBesideIt() throws Exception {
        Path stack = home("rwx------");
        assertThat(StackDatabaseDir.choose(stack, false, tmp.resolve("base"))).isEqualTo(stack.resolve("catalog"));
    }

    @Test
    void rootsStackInAClosedHomeKeepsItsDatabaseWhereTheAccountCanReachIt() throws Exception {
        Path stack = home("rwx------");
        Path base = tmp.resolve("base");
        Path chosen = StackDatabaseDir.choose(stack, true, base);
        assertThat(chosen.getParent()).isEqualTo(base);
        assertThat(chosen.getFileName().toString()).matches("stack-[0-9a-f]{16}");
        // One per stack, the same at every start.
        assertThat(StackDatabaseDir.choose(stack, true, base)).isEqualTo(chosen);
        assertThat(StackDatabaseDir.choose(home("rwx-----x").getParent().resolve("other"), true, base)).isNotEqualTo(chosen);
    }

    @Test
    void rootsStackInAnOpenDirectoryOrWithADatabaseAlreadyThereKeepsIt() throws Exception {
        Path open = home("rwx--x--x");
        assertThat(StackDatabaseDir.choose(open, true, tmp.resolve("base"))).isEqualTo(open.resolve("catalog"));
        Path closed = home("rwx------");
        Files.createDirectories(closed.resolve("catalog/pgdata"));
        Files.writeString(closed.resolve("catalog/pgdata/PG_VERSION"), "14\n");
        assertThat(StackDatabaseDir.choose(closed, true, tmp.resolve("base"))).isEqualTo(closed.resolve("catalog"));
    }

    @Test
    void theChoiceIsRecordedAndKept() throws Exception {
        Path stack = home("rwx------");
        StackSecrets secrets = StackSecrets.loadOrCreate(stack, "127.0.0.1");
        secrets.set(StackDatabaseDir.KEY, tmp.resolve("elsewhere").toString());
        secrets.save();
        assertThat(StackDatabaseDir.resolve(stack, StackSecrets.loadOrCreate(stack, "127.0.0.1"), false))
                .isEqualTo(tmp.resolve("elsewhere"));
        Path fresh = home("rwx--x--x");
        Path chosen = StackDatabaseDir.resolve(fresh, StackSecrets.loadOrCreate(fresh, "127.0.0.1"), false);
        assertThat(StackSecrets.loadOrCreate(fresh, "127.0.0.1").get(StackDatabaseDir.KEY)).isEqualTo(chosen.toString());
    }
}
