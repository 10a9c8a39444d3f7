package io.cryostash.schema.catalog;

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

    public List<String> cpuFlagsOrEmpty() {
        return cpuFlags == null ? List.of() : cpuFlags;
    }
}
