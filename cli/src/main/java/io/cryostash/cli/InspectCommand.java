// SPDX-License-Identifier: Apache-2.0
package io.cryostash.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

import io.cryostash.store.image.ImageStore;
import io.cryostash.schema.image.CpuRegisters;
import io.cryostash.schema.image.FileFingerprint;
import io.cryostash.schema.image.FdEntry;
import io.cryostash.schema.image.ImageCodec;
import io.cryostash.schema.image.MemoryArea;
import io.cryostash.schema.image.PendingSignal;
import io.cryostash.schema.image.ProcessImage;
import io.cryostash.schema.image.SignalAction;
import io.cryostash.schema.image.ThreadState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", description = "Show what an image holds: threads, registers, memory, files, signals.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "<image-id>")
    String imageId;

    @Option(names = "--json", description = "print the manifest as JSON")
    boolean json;

    @Mixin
    StoreOption store;

    @Override
    public Integer call() {
        ProcessImage im;
        try (ImageStore images = store.open()) {
            im = images.read(imageId);
        }
        PrintStream o = System.out;
        if (json) {
            o.println(new String(new ImageCodec().encode(im), java.nio.charset.StandardCharsets.UTF_8));
            return 0;
        }
        o.printf("image     %s (format %s)%n", im.id(), im.formatVersion());
        o.printf("pages     %s%s%n", im.tracking(), im.parent() == null ? "" : " from parent " + im.parent());
        o.printf("taken     %s on %s (kernel %s, %s)%n", im.createdAt(), im.host().hostname(), im.host().kernel(),
                im.host().arch());
        o.printf("process   pid %d  %s  %s%n", im.process().pid(), im.process().comm(),
                String.join(" ", im.process().cmdline()));
        o.printf("exe       %s%n", im.mm().exePath());
        o.printf("user      uid %d gid %d groups %s%n", im.credentials().uid(), im.credentials().gid(),
                im.credentials().groups());
        o.printf("cwd       %s  root %s  umask %03o%n", im.fs().cwd(), im.fs().root(), im.fs().umask());
        for (ThreadState t : im.threads()) {
            CpuRegisters r = t.regs();
            o.printf("thread    %d %-15s rip %016x rsp %016x fs_base %016x  xstate %d B  blocked %016x%s%s%n",
                    t.tid(), t.name() == null ? "" : t.name(), r.rip(), r.rsp(), r.fsBase(), t.xstate().length,
                    t.blockedSignals(), r.origRax() >= 0 ? "  in syscall " + r.origRax() + " (rax " + r.rax() + ")" : "",
                    t.pendingSignals().isEmpty() ? "" : "  queued " + signals(t.pendingSignals()));
        }
        if (!im.sharedPendingSignals().isEmpty()) {
            o.printf("queued    to the process: %s%n", signals(im.sharedPendingSignals()));
        }
        o.println("memory");
        long total = 0;
        for (MemoryArea a : im.areas()) {
            long stored = a.storedPages() * 4096;
            total += stored;
            o.printf("  %012x-%012x %s %9s %-17s stored %9s in %4d chunks  %s%n", a.start(), a.end(), a.perms(),
                    Sizes.human(a.length()), a.kind(), Sizes.human(stored),
                    a.content() == null ? 0 : a.content().chunks().size(), a.path() == null ? "" : a.path());
            if (!a.settings().isEmpty()) {
                o.printf("      settings: %s%n", a.settings().stream().map(Enum::name).sorted()
                        .map(n -> n.toLowerCase(java.util.Locale.ROOT)).collect(java.util.stream.Collectors.joining(", ")));
            }
        }
        o.printf("  total stored %s in %d areas%n", Sizes.human(total), im.areas().size());
        o.println("files");
        for (FdEntry f : im.fds()) {
            o.printf("  %3d %-16s flags %08o pos %-10d %s%n", f.fd(), f.kind(), f.flags(), f.position(), f.target());
        }
        o.println("code files (stored once, by content)");
        for (FileFingerprint f : im.files()) {
            o.printf("  %-60s %10s  %s%n", f.path(), Sizes.human(f.size()),
                    f.content() == null ? "fingerprint only" : "sha256 " + f.content().sha256().substring(0, 16));
        }
        o.println("signal handlers");
        for (SignalAction s : im.signalActions()) {
            String h = s.handler() == 0 ? "default" : s.handler() == 1 ? "ignore" : String.format("%x", s.handler());
            o.printf("  %2d  handler %-14s flags %08x mask %016x%n", s.signal(), h, s.flags(), s.mask());
        }
        return 0;
    }

    private static String signals(List<PendingSignal> queued) {
        return queued.stream().map(p -> Integer.toString(p.signal())).collect(Collectors.joining(" "));
    }
}
