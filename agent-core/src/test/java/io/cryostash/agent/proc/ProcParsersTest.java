// SPDX-License-Identifier: Apache-2.0
package io.cryostash.agent.proc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import io.cryostash.schema.image.Rlimit;

class ProcParsersTest {

    @Test
    void taskStatusKeepsStateNamespaceIdsCredentialsSeccompAndNoNewPrivs() {
        String text = "Name:\tworker\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t100\nUid:\t1000\t1000\t1000\t1000\n"
                + "Gid:\t100\t100\t100\t100\nGroups:\t100 27 \nNSpid:\t2030\t7\nCapInh:\t0000000000000000\n"
                + "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n"
                + "CapAmb:\t0000000000000000\nNoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n";
        TaskStatus t = TaskStatus.parse(2030, text);
        assertThat(t.state()).isEqualTo('S');
        assertThat(t.nsPids()).containsExactly(2030, 7);
        assertThat(t.ownTid()).isEqualTo(7);
        assertThat(t.seccomp()).isEqualTo(2);
        assertThat(t.noNewPrivs()).isTrue();
        assertThat(t.credentials()).isEqualTo("Uid: 1000\t1000\t1000\t1000\nGid: 100\t100\t100\t100\nGroups: 100 27\n"
                + "CapInh: 0000000000000000\nCapPrm: 0000000000000000\nCapEff: 0000000000000000\n"
                + "CapBnd: 000001ffffffffff\nCapAmb: 0000000000000000\n");
        TaskStatus bare = TaskStatus.parse(9, "State:\tR (running)");
        assertThat(bare.ownTid()).as("no NSpid line: its own tid").isEqualTo(9);
        assertThat(bare.seccomp()).isZero();
        assertThat(bare.noNewPrivs()).isFalse();
    }

    @Test
    void vmFlagsAreReadPerAreaAndAPathWithADashIsNoArea() {
        String smaps = "7f0000000000-7f0000400000 rw-p 00000000 00:00 0 \n"
                + "Size:               4096 kB\nAnonHugePages:      4096 kB\n"
                + "VmFlags: rd wr mr mw me ac hg \n"
                + "7f0000600000-7f0000610000 r--p 00001000 fe:01 1234   /srv/a-b c-d.bin\n"
                + "Size:                 64 kB\nVmFlags: rd mr mw me lo lf \n"
                + "7ffff7ff0000-7ffff7ff2000 r--p 00000000 00:00 0   [vvar]\nVmFlags: rd mr pf io de dd \n";
        VmFlags f = VmFlags.parse(smaps);
        assertThat(f.of(0x7f0000000000L, 0x7f0000400000L)).containsExactlyInAnyOrder("rd", "wr", "mr", "mw", "me",
                "ac", "hg");
        assertThat(f.of(0x7f0000600000L, 0x7f0000610000L)).contains("lo", "lf").doesNotContain("hg");
        assertThat(f.of(0x7ffff7ff0000L, 0x7ffff7ff2000L)).contains("io", "pf");
        assertThat(f.of(0x7f0000000000L, 0x7f0000200000L)).as("part of an area: its flags").contains("hg");
        assertThat(f.of(0x7f0000200000L, 0x7f0000600000L)).as("across two areas and a gap: none").isNull();
        assertThat(f.of(0x7f0000500000L, 0x7f0000501000L)).as("in a gap").isNull();
        assertThat(f.size()).isEqualTo(3);
    }

    @Test
    void taskNameComesFromTheStatusTextUnlessEscaped() {
        assertThat(TaskStatus.name("Name:\tworker 1  \nUmask:\t0022\nState:\tS (sleeping)\n"))
                .as("spaces kept, trailing ones too").isEqualTo("worker 1  ");
        assertThat(TaskStatus.name("Umask:\t0022\nName:\tlast")).isEqualTo("last");
        assertThat(TaskStatus.name("Name:\ta\\nb\n")).as("escaped newline: read comm instead").isNull();
        assertThat(TaskStatus.name("Name:\tback\\\\slash\n")).isNull();
        assertThat(TaskStatus.name("State:\tR (running)\n")).isNull();
        assertThat(TaskStatus.name("Name:\t\nState:\tR\n")).isEmpty();
    }

    @Test
    void mapsKeepsPathsWithSpacesAndPseudoNames() {
        String text = """
                55d0c0a00000-55d0c0a01000 r--p 00000000 fe:00 2154581                    /tmp/my dir/prog
                7ffd7348d000-7ffd734ae000 rw-p 00000000 00:00 0                          [stack]
                7f4a03920000-7f4a03923000 rw-p 00000000 00:00 0
                7f00000000-7f00001000 rw-s 00000000 00:01 1234                       /dev/zero (deleted)
                ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
                """;
        List<MapsEntry> maps = Maps.parse(text);
        assertThat(maps).hasSize(5);
        assertThat(maps.get(0).path()).isEqualTo("/tmp/my dir/prog");
        assertThat(maps.get(0).isFile()).isTrue();
        assertThat(maps.get(0).inode()).isEqualTo(2154581);
        assertThat(maps.get(1).path()).isEqualTo("[stack]");
        assertThat(maps.get(2).path()).isNull();
        assertThat(maps.get(3).shared()).isTrue();
        assertThat(maps.get(3).isDeleted()).isTrue();
        assertThat(maps.get(4).start()).isEqualTo(0xffffffffff600000L);
        assertThat(maps.get(4).length()).isEqualTo(4096);
    }

    @Test
    void statParsesCommWithSpacesAndParentheses() {
        String text = "4242 (evil) name (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123 "
                + "1000000 50 18446744073709551615 94000000000000 94000000100000 140700000000000 0 0 0 0 0 0 0 0 0"
                + " 17 1 0 0 0 0 0 94000000200000 94000000300000 94000001000000 140700000001000 140700000001100"
                + " 140700000001100 140700000001200 0\n";
        ProcStat st = ProcStat.parse(text);
        assertThat(st.pid()).isEqualTo(4242);
        assertThat(st.comm()).isEqualTo("evil) name (x)");
        assertThat(st.state()).isEqualTo('S');
        assertThat(st.ppid()).isEqualTo(1);
        assertThat(st.numThreads()).isEqualTo(1);
        assertThat(st.startCode()).isEqualTo(94000000000000L);
        assertThat(st.startStack()).isEqualTo(140700000000000L);
        assertThat(st.startBrk()).isEqualTo(94000001000000L);
        assertThat(st.envEnd()).isEqualTo(140700000001200L);
        assertThat(st.isKernelThread()).isFalse();
    }

    @Test
    void statOfThisJvmDescribesARunningUserProcess() {
        int self = (int) ProcessHandle.current().pid();
        ProcStat st = ProcStat.read(self);
        assertThat(st.pid()).isEqualTo(self);
        assertThat(st.startCode()).isLessThan(st.endCode());
        assertThat(st.isKernelThread()).isFalse();
        assertThat(ProcStat.read(2).isKernelThread()).as("kthreadd").isTrue();
    }

    @Test
    void limitsReadUnlimitedAsMinusOne() {
        String text = """
                Limit                     Soft Limit           Hard Limit           Units
                Max cpu time              unlimited            unlimited            seconds
                Max open files            1024                 524288               files
                Max realtime timeout      unlimited            unlimited            us
                """;
        List<Rlimit> l = Limits.parse(text);
        assertThat(l).extracting(Rlimit::resource).containsExactly(0, 7, 15);
        assertThat(l.get(0).soft()).isEqualTo(-1);
        assertThat(l.get(1).soft()).isEqualTo(1024);
        assertThat(l.get(1).hard()).isEqualTo(524288);
    }

    @Test
    void statusReadsIdsUmaskAndSignalSets() {
        String text = """
                Name:\tcat
                Umask:\t0027
                State:\tR (running)
                Uid:\t1000\t1001\t1002\t1003
                Gid:\t100\t101\t102\t103
                Groups:\t4 24 27
                SigBlk:\t0000000000010000
                SigIgn:\t0000000000000004
                SigCgt:\t0000000180000002
                """;
        ProcStatus st = ProcStatus.parse(text);
        assertThat(st.uids()).containsExactly(1000, 1001, 1002, 1003);
        assertThat(st.gids()).containsExactly(100, 101, 102, 103);
        assertThat(st.groups()).containsExactly(4, 24, 27);
        assertThat(st.umask()).isEqualTo(027);
        assertThat(st.sigBlocked()).isEqualTo(1L << 16);
        assertThat(st.sigIgnored()).isEqualTo(1L << 2);
        assertThat(st.sigCaught()).isEqualTo(0x180000002L);
    }

    @Test
    void missingProcessIsReportedByPid() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProcStat.read(999_999_999))
                .isInstanceOf(NoSuchProcessException.class).hasMessageContaining("999999999");
    }
}
