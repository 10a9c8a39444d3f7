// SPDX-License-Identifier: Apache-2.0
package io.cryostash.schema.catalog;

import java.util.ArrayList;
import java.util.List;

/**
 * What the catalog shows about the frozen process and what it needs from a host to run again.
 *
 * @param pid             pid at capture time
 * @param command         executable path or comm
 * @param argv            command line
 * @param arch            machine architecture (uname -m), e.g. x86_64
 * @param cpuFlags        CPU features the image relies on (a target host must have all of them)
 * @param vdsoFingerprint fingerprint of the vDSO the process was using (a target host must match)
 * @param kernel          kernel release of the capturing host
 * @param threads         number of threads
 * @param memoryAreas     number of memory areas (VMAs)
 * @param openFiles       number of open descriptors
 * @param rssBytes        resident set size at capture
 */
public record ProcessSummary(
        Integer pid,
        String command,
        List<String> argv,
        String arch,
        List<String> cpuFlags,
        String vdsoFingerprint,
        String kernel,
        Integer threads,
        Integer memoryAreas,
        Integer openFiles,
        Long rssBytes) {

    /** Linux's largest pid (PID_MAX_LIMIT on 64-bit). */
    public static final int MAX_PID = 4_194_304;
    /** About ARG_MAX (2 MiB at the default 8 MiB stack): no real command line is longer. */
    public static final int MAX_ARGV_CHARS = 2 * 1024 * 1024;

    public List<String> cpuFlagsOrEmpty() {
        return cpuFlags == null ? List.of() : cpuFlags;
    }

    /**
     * Everything wrong with this summary, one line per problem ("path.field: message"). Every field
     * may be null; the host-matching ones (arch, cpuFlags, vdsoFingerprint, kernel) must look like
     * what a host reports, since hosts are compared with them.
     */
    public List<String> problems(String path) {
        List<String> out = new ArrayList<>();
        if (pid != null && (pid < 1 || pid > MAX_PID)) out.add(path + ".pid: must be between 1 and " + MAX_PID);
        if (command != null && command.length() > 4096) out.add(path + ".command: at most 4096 characters");
        TextChecks.noNul(out, path + ".command", command);
        if (argv != null) {
            long chars = 0;
            for (String a : argv) chars += a == null ? 0 : a.length();
            if (argv.stream().anyMatch(a -> a != null && a.indexOf('\0') >= 0)) out.add(path + ".argv: must not contain NUL characters");
            if (argv.stream().anyMatch(java.util.Objects::isNull)) out.add(path + ".argv: must not contain null");
            if (chars > MAX_ARGV_CHARS) out.add(path + ".argv: at most " + MAX_ARGV_CHARS + " characters in all (has " + chars + ")");
        }
        TextChecks.matches(out, path + ".arch", arch, TextChecks.ARCH, "1 to 32 letters, digits or _ as uname -m prints it");
        TextChecks.cpuFlags(out, path + ".cpuFlags", cpuFlags);
        TextChecks.matches(out, path + ".vdsoFingerprint", vdsoFingerprint, TextChecks.FINGERPRINT, "1 to 256 letters, digits or . _ : + / = -");
        TextChecks.matches(out, path + ".kernel", kernel, TextChecks.KERNEL, "1 to 64 printable ASCII characters without spaces, as uname -r prints it");
        // Each at most what the kernel (or the manifest codec) allows: a pid per thread, the codec's
        // bound on areas, nr_open's default on descriptors, the largest address space.
        if (threads != null) TextChecks.between(out, path + ".threads", threads, 0, MAX_PID);
        if (memoryAreas != null) TextChecks.between(out, path + ".memoryAreas", memoryAreas, 0, ImageRegistration.MAX_AREAS);
        if (openFiles != null) TextChecks.between(out, path + ".openFiles", openFiles, 0, FdSummary.MAX_FD);
        if (rssBytes != null) TextChecks.between(out, path + ".rssBytes", rssBytes, 0, ImageRegistration.MAX_BYTES);
        return out;
    }
}
