// SPDX-License-Identifier: Apache-2.0
package io.cryostash.daemon.catalog;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import io.cryostash.schema.catalog.HostReport;
import io.cryostash.store.Hashing;
import io.cryostash.store.image.ImageStore;

/**
 * What this host is, for heartbeats: the architecture as {@code uname -m} names it (the catalog maps
 * the JVM's names that manifests record, amd64 and arm64, to these), the kernel
 * release, the CPU's model and flags (/proc/cpuinfo) and the vDSO fingerprint (SHA-256 of this
 * process's [vdso] bytes: the same code every process on this kernel maps, and what capture records
 * and restore compares).
 */
public final class HostProbe {
    public static final String VERSION = "0.1.0";

    private HostProbe() {
    }

    public static HostReport report() {
        String model = null;
        List<String> flags = List.of();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (model == null && line.startsWith("model name")) model = value(line);
                if (flags.isEmpty() && line.startsWith("flags")) flags = List.copyOf(new TreeSet<>(List.of(value(line).split("\\s+"))));
                if (model != null && !flags.isEmpty()) break;
            }
        } catch (IOException ignored) {
            // not Linux /proc: report what else is known
        }
        return new HostReport(ImageStore.hostName(), unameMachine(System.getProperty("os.arch")), read("/proc/sys/kernel/osrelease"),
                model, flags, vdsoFingerprint(), VERSION, VERSION);
    }

    static String unameMachine(String jvmArch) {
        return switch (jvmArch) {
            case "amd64" -> "x86_64";
            case "arm64" -> "aarch64";
            default -> jvmArch;
        };
    }

    private static String value(String line) {
        int c = line.indexOf(':');
        return c < 0 ? "" : line.substring(c + 1).trim();
    }

    private static String read(String path) {
        try {
            return Files.readString(Path.of(path)).trim();
        } catch (IOException e) {
            return null;
        }
    }

    /** SHA-256 hex of this process's [vdso], or null when it has none. */
    public static String vdsoFingerprint() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
                if (!line.endsWith("[vdso]")) continue;
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                long start = Long.parseUnsignedLong(range[0], 16);
                long end = Long.parseUnsignedLong(range[1], 16);
                byte[] bytes = new byte[(int) (end - start)];
                try (RandomAccessFile mem = new RandomAccessFile("/proc/self/mem", "r")) {
                    mem.seek(start);
                    mem.readFully(bytes);
                }
                return Hashing.hex(Hashing.sha256(bytes));
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    static List<String> orEmpty(List<String> l) {
        return l == null ? new ArrayList<>() : l;
    }
}
