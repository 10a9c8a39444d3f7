// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Threads and queued signals in the manifest: they round-trip, old images still read, bad ones are refused. */
class ThreadRecordsTest {
    private final ImageCodec codec = new ImageCodec();

    private static ProcessImage base() {
        return ImageCodecTest.sample(List.of(ImageCodecTest.anon(0x10000, 0x20000)), ProcessImage.FORMAT_VERSION,
                "/tmp");
    }

    private static ThreadState thread(int tid, String name, List<PendingSignal> pending) {
        ThreadState model = base().threads().get(0); // registers in code, FPU state of the host's size
        return new ThreadState(tid, model.regs(), model.xstate(), 0x4000, new ThreadState.SignalStack(0x7000, 0, 8192),
                new ThreadState.Rseq(0x10000, 32, 0x53053053), 0x8000, 0x8100, 24, name, pending, true);
    }

    private static PendingSignal signal(int sig) {
        byte[] info = new byte[PendingSignal.SIGINFO_BYTES];
        info[0] = (byte) sig;
        info[16] = 42; // si_pid
        return new PendingSignal(sig, info);
    }

    private static ProcessImage with(List<ThreadState> threads, List<PendingSignal> shared) {
        ProcessImage b = base();
        return new ProcessImage(b.formatVersion(), b.id(), b.parent(), b.tracking(), b.createdAt(), b.host(),
                b.process(), b.credentials(), b.mm(), b.areas(), threads, b.signalActions(), b.fs(), b.fds(),
                b.rlimits(), b.files(), b.timers(), shared, b.sysvIpc(), null);
    }

    @Test
    void threadsNamesAndQueuedSignalsRoundTrip() {
        ProcessImage im = with(List.of(thread(10, "main", List.of()), thread(11, "worker-1", List.of(signal(12)))),
                List.of(signal(15), signal(34)));

        ProcessImage back = codec.decode(codec.encode(im));

        assertThat(back.threads()).extracting(ThreadState::tid).containsExactly(10, 11);
        assertThat(back.threads()).extracting(ThreadState::name).containsExactly("main", "worker-1");
        assertThat(back.threads().get(1).noNewPrivs()).isTrue();
        assertThat(back.threads().get(1).pendingSignals()).singleElement()
                .satisfies(p -> assertThat(p.siginfo()).isEqualTo(signal(12).siginfo()));
        assertThat(back.sharedPendingSignals()).extracting(PendingSignal::signal).containsExactly(15, 34);
        assertThat(back.sharedPendingSignals().get(1).siginfo()).isEqualTo(signal(34).siginfo());
    }

    @Test
    void imageWrittenBeforeThreadsReadsWithNoNamesAndNothingQueued() throws Exception {
        ObjectNode tree = codec.mapper().valueToTree(base());
        tree.put("formatVersion", "3.0");
        tree.remove("sharedPendingSignals");
        ObjectNode t = (ObjectNode) tree.get("threads").get(0);
        t.remove(List.of("name", "pendingSignals", "noNewPrivs"));

        ProcessImage back = codec.decode(codec.mapper().writeValueAsBytes(tree));

        assertThat(back.sharedPendingSignals()).isEmpty();
        assertThat(back.threads().get(0).pendingSignals()).isEmpty();
        assertThat(back.threads().get(0).name()).isNull();
        assertThat(back.threads().get(0).noNewPrivs()).isFalse();
    }

    @Test
    void duplicateOrImpossibleThreadIdsAreRefused() {
        for (List<ThreadState> threads : List.of(List.of(thread(10, "a", List.of()), thread(10, "b", List.of())),
                List.of(thread(10, "a", List.of()), thread(0, "b", List.of())),
                List.of(thread(-5, "a", List.of())))) {
            byte[] json = codec.encode(with(threads, List.of()));
            assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("thread id");
        }
    }

    @Test
    void malformedQueuedSignalsAreRefused() throws Exception {
        byte[] json = codec.encode(with(List.of(thread(10, "a", List.of(new PendingSignal(65,
                new byte[PendingSignal.SIGINFO_BYTES])))), List.of()));
        assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("queued signal of thread 10");

        ObjectNode tree = codec.mapper().valueToTree(with(List.of(thread(10, "a", List.of())), List.of(signal(15))));
        ((ObjectNode) ((ArrayNode) tree.get("sharedPendingSignals")).get(0)).put("siginfo", "AAAA");
        byte[] shortInfo = codec.mapper().writeValueAsBytes(tree);
        assertThatThrownBy(() -> codec.decode(shortInfo)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("queued signal of the process");
    }

    private static ProcessImage withTimer(List<ThreadState> threads, ProcessTimers.PosixTimer timer) {
        ProcessImage b = with(threads, List.of());
        return new ProcessImage(b.formatVersion(), b.id(), b.parent(), b.tracking(), b.createdAt(), b.host(),
                b.process(), b.credentials(), b.mm(), b.areas(), b.threads(), b.signalActions(), b.fs(), b.fds(),
                b.rlimits(), b.files(), new ProcessTimers(List.of(), List.of(timer)), b.sharedPendingSignals(), b.sysvIpc(), null);
    }

    private static ProcessTimers.PosixTimer timer(int notifyHow, int targetTid) {
        return new ProcessTimers.PosixTimer(2, 1, notifyHow, 35, 77, 300_000_000, 200_000_000, targetTid);
    }

    @Test
    void aTimerAimedAtOneThreadKeepsItsTarget() {
        ProcessImage im = withTimer(List.of(thread(10, "main", List.of()), thread(11, "reader", List.of())),
                timer(ProcessTimers.PosixTimer.SIGEV_THREAD_ID, 11));

        ProcessTimers.PosixTimer back = codec.decode(codec.encode(im)).timers().posixTimers().get(0);

        assertThat(back).isEqualTo(timer(ProcessTimers.PosixTimer.SIGEV_THREAD_ID, 11));
        assertThat(back.signalsOneThread()).isTrue();
    }

    @Test
    void aTimerOfAnImageWrittenBeforeThreadTargetsReadsAsAimedAtNoThreadInParticular() throws Exception {
        ObjectNode tree = codec.mapper().valueToTree(withTimer(List.of(thread(10, "main", List.of())),
                timer(ProcessTimers.PosixTimer.SIGEV_THREAD_ID, 10)));
        tree.put("formatVersion", "3.0");
        ((ObjectNode) tree.get("timers").get("posixTimers").get(0)).remove("targetTid");

        ProcessTimers.PosixTimer back = codec.decode(codec.mapper().writeValueAsBytes(tree)).timers().posixTimers()
                .get(0);

        assertThat(back.targetTid()).as("restore aims it at the main thread, as 3.x restores did").isZero();
        assertThat(back.signalsOneThread()).isTrue();
    }

    @Test
    void aTimerAimedAtAThreadTheImageDoesNotHaveOrNotifyingInAnImpossibleWayIsRefused() {
        List<ThreadState> threads = List.of(thread(10, "main", List.of()), thread(11, "reader", List.of()));
        byte[] stranger = codec.encode(withTimer(threads, timer(ProcessTimers.PosixTimer.SIGEV_THREAD_ID, 12)));
        assertThatThrownBy(() -> codec.decode(stranger)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("POSIX timer 2 signals thread 12, which is not a thread of the image");
        byte[] processWide = codec.encode(withTimer(threads, timer(0, 11)));
        assertThatThrownBy(() -> codec.decode(processWide)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("not a SIGEV_THREAD_ID timer");
        for (int how : new int[] {-1, 3, 5, 6}) {
            byte[] json = codec.encode(withTimer(threads, timer(how, 0)));
            assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                    .hasMessageContaining("notifies by " + how);
        }
    }

    @Test
    void tooManyThreadsAreRefusedUnread() {
        List<ThreadState> many = new ArrayList<>();
        for (int i = 1; i <= ImageCodec.MAX_THREADS + 1; i++) {
            many.add(thread(i, null, List.of()));
        }
        byte[] json = codec.encode(with(many, List.of()));
        assertThatThrownBy(() -> codec.decode(json)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("too many threads");
    }
}
